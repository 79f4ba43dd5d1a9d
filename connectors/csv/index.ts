/** The CSV source: every record read from the workspace's data files on every run, nothing synced. */
import type { Source } from '../source.js';

export const csvSource: Source = { kind: 'csv' };
