// Lint without type information: fast enough to run on every `npm test`; `tsc` does the typing.
import path from 'node:path';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * The layers, each with the folders it may import from: imports only point down. The domain is
 * pure; config, connectors and the database build on it; jobs (the use cases and steps) on them;
 * the entry points (the CLI, the worker) on jobs. test/ and bench code may import anything.
 */
export const LAYERS = {
  'src/domain': [],
  config: ['src/domain'],
  connectors: ['src/domain', 'config'],
  'src/db': ['src/domain'],
  jobs: ['src/domain', 'config', 'connectors', 'src/db'],
  'src/worker': ['src/domain', 'config', 'connectors', 'src/db', 'jobs'],
  // `attain worker` starts a worker.
  'src/cli': ['src/domain', 'config', 'connectors', 'src/db', 'jobs', 'src/worker'],
};

/**
 * ESLint's own `no-restricted-imports`, one block per layer and folder depth: an import path is
 * text, so the path from a file at that depth to each layer it must not use is spelled out (all
 * imports in this repository are relative).
 */
function layerRules() {
  const escape = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const blocks = [];
  for (const [layer, allowed] of Object.entries(LAYERS)) {
    const forbidden = Object.keys(LAYERS).filter(
      (other) => other !== layer && !allowed.includes(other) && !other.startsWith(`${layer}/`),
    );
    for (let depth = 0; depth < 4; depth++) {
      const dir = [layer, ...Array(depth).fill('x')].join('/');
      const rules = forbidden.map((target) => ({
        regex: `^${escape(path.posix.relative(dir, target))}(/|$)`,
        message: `${layer} must not import ${target}: layers only point down (src/domain ← config, connectors, src/db ← jobs ← src/cli, src/worker).`,
      }));
      blocks.push({
        files: [`${dir.replace(/x/g, '*')}/*.ts`],
        rules: {
          'no-restricted-imports': ['error', { patterns: rules }],
          // The same for `await import('…')`, which no-restricted-imports does not see. A selector's
          // regex cannot hold a slash, so it is written \x2F.
          'no-restricted-syntax': [
            'error',
            ...rules.map(({ regex, message }) => ({
              selector: `ImportExpression > Literal.source[value=/${regex.replace(/\//g, '\\x2F')}/]`,
              message,
            })),
          ],
        },
      });
    }
  }
  return blocks;
}

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.bench/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      eqeqeq: ['error', 'always'],
    },
  },
  ...layerRules(),
);
