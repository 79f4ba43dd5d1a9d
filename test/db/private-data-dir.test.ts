/** The embedded database's folder (.attain/, every rep's pay) is its owner's alone. */
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/index.js';

const roots: string[] = [];
afterEach(() => roots.splice(0).forEach((root) => rmSync(root, { recursive: true, force: true })));
const mode = (path: string) => (statSync(path).mode & 0o777).toString(8);

describe('the embedded database folder', () => {
  it('is created 0700, and an existing one readable to others is closed', { timeout: 120_000 }, async () => {
    const root = mkdtempSync(join(tmpdir(), 'attain-private-'));
    roots.push(root);
    const fresh = join(root, 'fresh', '.attain');
    const old = join(root, 'old', '.attain');
    mkdirSync(old, { recursive: true, mode: 0o755 });
    for (const dataDir of [fresh, old]) {
      const database = await openDatabase({ dataDir });
      await database.close();
      expect([mode(dataDir), mode(join(dataDir, 'pglite'))]).toEqual(['700', '700']);
    }
  });
});
