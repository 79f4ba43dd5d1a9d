/**
 * Layers only point down (eslint.config.js): linting a file that imports upward fails, so `npm
 * test` (which lints) fails on one. Linted through ESLint's Node API with the repository's config.
 */
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const eslint = new ESLint({ cwd: root });

async function lint(file: string, code: string) {
  const [result] = await eslint.lintText(code, { filePath: `${root}${file}` });
  return result!.messages
    .filter((m) => m.ruleId === 'no-restricted-imports' || m.ruleId === 'no-restricted-syntax')
    .map((m) => m.message);
}

describe('layers', () => {
  it.each([
    ['src/domain/upward.ts', `import { ExitCode } from '../cli/exit-codes.js';`, 'src/domain must not import src/cli'],
    ['src/domain/upward.ts', `import type { Workspace } from '../../config/workspace.js';`, 'must not import config'],
    ['connectors/hubspot/upward.ts', `import { runPipeline } from '../../jobs/run.js';`, 'must not import jobs'],
    ['connectors/upward.ts', `import { openDatabase } from '../src/db/index.js';`, 'must not import src/db'],
    ['src/db/upward.ts', `export { SyncPage } from '../../connectors/source.js';`, 'must not import connectors'],
    ['src/db/migrations/upward.ts', `import { CliError } from '../../cli/exit-codes.js';`, 'must not import src/cli'],
    ['jobs/upward.ts', `import { CliError } from '../src/cli/exit-codes.js';`, 'jobs must not import src/cli'],
    ['src/worker/upward.ts', `import { main } from '../cli/main.js';`, 'src/worker must not import src/cli'],
    ['connectors/upward.ts', `export const load = () => import('../jobs/run.js');`, 'connectors must not import jobs'],
    ['src/domain/upward.ts', `export const pg = await import('../db/connect.js');`, 'must not import src/db'],
  ])('%s: %s fails', async (file, code, expected) => {
    const messages = await lint(file, `${code}\n`);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toContain(expected);
  });

  it.each([
    ['jobs/downward.ts', `import { openDatabase } from '../src/db/index.js';`],
    ['connectors/hubspot/downward.ts', `import type { AttainConfig } from '../../config/attain-schema.js';`],
    ['src/cli/downward.ts', `import { runPipeline } from '../../jobs/run.js';`],
    ['src/domain/downward.ts', `import { decimal } from './decimal.js';`],
    ['test/anything.ts', `import { main } from '../src/cli/main.js';`],
    ['src/cli/downward.ts', `export const sf = await import('../../connectors/salesforce/index.js');`],
  ])('%s: %s passes', async (file, code) => {
    expect(await lint(file, `${code}\nvoid 0;\n`)).toEqual([]);
  });
});
