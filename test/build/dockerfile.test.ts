/**
 * No Docker engine runs here, so the image build is checked from its parts: every file the
 * compiler reads for `npm run build` must be copied into the build stage of the Dockerfile.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');

it('copies into the build stage every file that npm run build compiles', () => {
  const dockerfile = readFileSync(resolve(root, 'Dockerfile'), 'utf8');
  const buildStage = dockerfile.split(/^FROM /m)[1] ?? '';
  const copied = [...buildStage.matchAll(/^COPY\s+(?!--from)(.+)$/gm)].flatMap((m) =>
    m[1]!.trim().split(/\s+/).slice(0, -1),
  );
  expect(copied).toContain('package.json');

  const tsc = resolve(root, 'node_modules/typescript/bin/tsc');
  const listed = execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--listFilesOnly'], {
    cwd: root,
    encoding: 'utf8',
  })
    .split('\n')
    .filter((file) => file.trim() !== '' && !file.includes('/node_modules/'))
    .map((file) => relative(root, file));
  expect(listed.length).toBeGreaterThan(50);
  const missing = listed.filter(
    (file) => !copied.some((path) => file === path || file.startsWith(`${path.replace(/\/$/, '')}/`)),
  );
  expect(missing).toEqual([]);
}, 60_000);
