/**
 * Configuration errors: every problem in attain.yaml and plans/*.yaml, each with its file, line
 * and key, collected and reported together so an admin fixes them in one pass.
 */
import { AttainError } from '../src/domain/errors.js';

export interface ConfigIssue {
  /** Relative to the workspace folder, with `/` separators: `attain.yaml`, `plans/ae.yaml`. */
  file: string;
  /** 1-based; absent when the issue is about the whole file. */
  line?: number;
  column?: number;
  /** Where in the file, in JavaScript accessor style: `components[0].tiers[1].rate`; '' for the file itself. */
  path: string;
  message: string;
}

export type PathSegment = string | number;

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/** `['components', 0, 'tiers']` → `components[0].tiers`; keys that are not identifiers are quoted. */
export function formatPath(path: readonly PropertyKey[]): string {
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else if (typeof segment === 'string' && IDENTIFIER.test(segment)) text += text ? `.${segment}` : segment;
    else text += `[${JSON.stringify(String(segment))}]`;
  }
  return text;
}

/** `plans/ae.yaml:14:7 components[0].tiers[1].rate: expected a number`, or `plans/: no plans` for a whole file. */
export function formatIssue(issue: ConfigIssue): string {
  const where = issue.line === undefined ? issue.file : `${issue.file}:${issue.line}:${issue.column ?? 1}`;
  return issue.path ? `${where} ${issue.path}: ${issue.message}` : `${where}: ${issue.message}`;
}

/** One file's issues in the order of its text, whole-file issues first. */
export function sortByPosition(issues: readonly ConfigIssue[]): ConfigIssue[] {
  return [...issues].sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
}

export class ConfigError extends AttainError {
  override readonly name = 'ConfigError';
  readonly code = 'CONFIG_INVALID';

  constructor(readonly issues: ConfigIssue[]) {
    super(issues.map(formatIssue).join('\n'));
  }

  /** Every issue, one per line (the same text as `message`). */
  format(): string {
    return this.message;
  }
}
