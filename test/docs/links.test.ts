/**
 * The links of docs/ and the READMEs point somewhere: a file that exists, and a heading in it for a
 * `#anchor` (named the way GitHub names heading anchors). A page renamed or a heading reworded
 * without mending its links fails here.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');

function markdownFiles(): string[] {
  const files = ['README.md', 'jobs/README.md', 'connectors/csv/README.md'];
  for (const name of readdirSync(join(ROOT, 'docs'))) if (name.endsWith('.md')) files.push(`docs/${name}`);
  return files.filter((file) => existsSync(join(ROOT, file)));
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to `-`. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

function anchorsOf(file: string): Set<string> {
  const anchors = new Set<string>();
  let fenced = false;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.startsWith('```')) fenced = !fenced;
    const heading = !fenced && /^#{1,6}\s+(.*)$/.exec(line);
    if (!heading) continue;
    const base = slug(heading[1]!);
    let anchor = base;
    for (let n = 1; anchors.has(anchor); n++) anchor = `${base}-${n}`;
    anchors.add(anchor);
  }
  return anchors;
}

/** Links outside code: `[text](target)`. */
function linksOf(file: string): { line: number; target: string }[] {
  const links: { line: number; target: string }[] = [];
  let fenced = false;
  readFileSync(file, 'utf8')
    .split('\n')
    .forEach((text, index) => {
      if (text.startsWith('```')) fenced = !fenced;
      if (fenced) return;
      const prose = text.replace(/`[^`]*`/g, '');
      for (const match of prose.matchAll(/\]\(([^)\s]+)\)/g)) links.push({ line: index + 1, target: match[1]! });
    });
  return links;
}

describe('links in the documentation', () => {
  for (const file of markdownFiles()) {
    it(`${file}: every link to a page of the repository and its heading exists`, () => {
      const broken: string[] = [];
      const absolute = join(ROOT, file);
      for (const { line, target } of linksOf(absolute)) {
        if (/^[a-z]+:/.test(target)) continue;
        const [path = '', anchor] = target.split('#');
        const linked = path === '' ? absolute : resolve(dirname(absolute), path);
        if (!existsSync(linked)) {
          broken.push(`${file}:${line} ${target}: no ${relative(ROOT, linked)}`);
          continue;
        }
        if (anchor !== undefined && statSync(linked).isFile() && !anchorsOf(linked).has(anchor)) {
          broken.push(`${file}:${line} ${target}: no heading #${anchor} in ${relative(ROOT, linked)}`);
        }
      }
      expect(broken).toEqual([]);
    });
  }
});
