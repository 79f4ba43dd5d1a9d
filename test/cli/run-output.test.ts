/** What `attain run` shows on a terminal while a step runs beside the next (the store). */
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { terminalProgress } from '../../src/cli/run-output.js';

describe('terminalProgress', () => {
  it('a step that ends while the next one shows gets its own clean line, and the next one shows again', () => {
    const out = new PassThrough();
    let text = '';
    out.on('data', (chunk: Buffer) => (text += chunk.toString()));
    const progress = terminalProgress(out, { update: () => undefined, clear: () => undefined });
    progress.step('store');
    progress.step('calculate');
    progress.done('store', '2 reps, 3 deals stored', 1.25);
    progress.done('calculate', '4 payout lines', 0.5);
    expect(text).toBe(
      '  store       …\r' +
        '  calculate   …\r' +
        '\r\x1b[2K  ✓ store      2 reps, 3 deals stored (1.3 s)\n' +
        '  calculate   …\r' +
        '\r\x1b[2K  ✓ calculate  4 payout lines (0.5 s)\n',
    );
  });
});
