/**
 * Reads a YAML file into plain data while remembering where every key and value was written, so
 * that a problem found later (by zod or by a cross-check) can name its line and column.
 *
 * The failsafe schema keeps every scalar as its source text: `rate: 0.05` is the string "0.05",
 * never the float 0.05, and `rate: 0.1000000000000000055` reaches validation unchanged. The
 * schemas decide what a scalar means (a decimal, an integer, `true`/`false`).
 */
import { isAlias, isMap, isNode, isScalar, isSeq, LineCounter, parseDocument, type Alias, type Document } from 'yaml';
import { formatPath, type ConfigIssue, type PathSegment } from './errors.js';

export interface SourcePosition {
  line: number;
  column: number;
}

export interface YamlSource {
  /** Relative to the workspace folder, as it appears in messages. */
  file: string;
  /** Objects, arrays and strings; an empty value (`key:`) is ''. */
  value: unknown;
  /**
   * Where the node at `path` was written: its key (for map entries, when `part` is 'key') or its
   * value. A path that does not exist (a missing key) gives the position of its nearest ancestor.
   */
  locate(path: readonly PropertyKey[], part?: 'key' | 'value'): SourcePosition | undefined;
}

/**
 * `${VAR}` holds `{` and `}`, YAML's flow indicators, so the documented `database: { url: ${DATABASE_URL} }`
 * would not parse. Before parsing, the braces of each reference become private-use characters (one
 * for one, so every position stays exact), and each scalar gets its braces back.
 */
const ENV_REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;
const OPEN_BRACE = '\uE000';
const CLOSE_BRACE = '\uE001';
const hideReferences = (text: string): string => text.replace(ENV_REFERENCE, `$$${OPEN_BRACE}$1${CLOSE_BRACE}`);
const restoreReferences = (text: string): string => text.replaceAll(OPEN_BRACE, '{').replaceAll(CLOSE_BRACE, '}');

/** Parses `text`; `source` is absent when the text is not valid YAML (the issues say why). */
export function parseYaml(text: string, file: string): { source?: YamlSource; issues: ConfigIssue[] } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(hideReferences(text), { schema: 'failsafe', lineCounter, prettyErrors: false });
  const at = (offset: number): SourcePosition => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };

  // Warnings too (an unresolved tag such as `!!float`): a config file is not the place for guesses.
  const syntaxIssues = [...doc.errors, ...doc.warnings].map((error): ConfigIssue => ({
    file,
    ...at(error.pos[0]),
    path: '',
    // The library's own catch of a stack overflow, on brackets nested tens of thousands deep.
    message: /call stack/i.test(error.message)
      ? `nested too deeply to read (more than ${MAX_DEPTH} levels is never a plan)`
      : restoreReferences(error.message),
  }));
  if (syntaxIssues.length > 0) return { issues: syntaxIssues };

  if (doc.contents === null) return { issues: [{ file, path: '', message: 'the file is empty' }] };

  const positions = new Map<string, { key?: SourcePosition; value: SourcePosition }>();
  const issues: ConfigIssue[] = [];
  const converter = new PlainConverter(doc, at, positions, (path, position, message) =>
    issues.push({ file, ...position, path: formatPath(path), message }),
  );
  const value = converter.convert(doc.contents, [], undefined);

  const locate = (path: readonly PropertyKey[], part: 'key' | 'value' = 'value'): SourcePosition | undefined => {
    for (let length = path.length; length >= 0; length--) {
      const found = positions.get(pathKey(path.slice(0, length)));
      if (found) return (length === path.length && part === 'key' && found.key) || found.value;
    }
    return undefined;
  };
  return { source: { file, value, locate }, issues };
}

function pathKey(path: readonly PropertyKey[]): string {
  return JSON.stringify(path.map((segment) => (typeof segment === 'symbol' ? String(segment) : segment)));
}

type Report = (path: readonly PathSegment[], position: SourcePosition, message: string) => void;

/**
 * How many times aliases may be expanded, as the yaml library counts them (`maxAliasCount`, its
 * own default): a plan shares a few values, while nested aliases of a few hundred bytes expand
 * to gigabytes (a "billion laughs").
 */
export const MAX_ALIAS_COUNT = 100;

/** How deeply mappings and lists may nest: a plan needs five levels; thousands would overflow the stack. */
export const MAX_DEPTH = 64;

/** The library's conversion context (not exported by name): it counts alias expansions per anchor. */
type AliasContext = NonNullable<Parameters<Alias['resolve']>[1]>;

class PlainConverter {
  /** Anchors being expanded, to stop an alias that refers to its own ancestor. */
  private readonly expanding = new Set<unknown>();
  private readonly aliases: AliasContext;
  /** Set once a limit is reached: one message says so, and nothing more is expanded. */
  private stopped = false;

  constructor(
    private readonly doc: Document,
    private readonly at: (offset: number) => SourcePosition,
    private readonly positions: Map<string, { key?: SourcePosition; value: SourcePosition }>,
    private readonly report: Report,
  ) {
    this.aliases = {
      anchors: new Map(),
      doc,
      keep: false,
      mapAsMap: false,
      mapKeyWarned: false,
      maxAliasCount: MAX_ALIAS_COUNT,
    };
  }

  convert(node: unknown, path: PathSegment[], key: SourcePosition | undefined): unknown {
    if (this.stopped) return '';
    if (path.length > MAX_DEPTH) {
      this.stop(path, node, `nested more than ${MAX_DEPTH} levels deep`);
      return '';
    }
    if (isAlias(node)) {
      // An alias reads as a copy of its anchored node; positions inside point at the anchor, where the text is.
      let target: ReturnType<Alias['resolve']>;
      try {
        // With the context, the library counts each expansion and refuses past maxAliasCount.
        target = node.resolve(this.doc, this.aliases);
      } catch (error) {
        if (!(error instanceof ReferenceError)) throw error;
        this.stop(
          path,
          node,
          `alias *${node.source} is expanded too many times (more than ${MAX_ALIAS_COUNT} aliases in all): ` +
            `nested aliases multiply; write the values out instead`,
        );
        return '';
      }
      if (!target || this.expanding.has(target)) {
        this.report(path, this.position(node.range), `alias *${node.source} refers to itself`);
        return '';
      }
      this.expanding.add(target);
      const value = this.convert(target, path, key);
      this.expanding.delete(target);
      return value;
    }
    if (!isScalar(node) && !isMap(node) && !isSeq(node)) return '';
    this.positions.set(pathKey(path), { key, value: this.position(node.range) });

    if (isScalar(node)) return restoreReferences(String(node.value ?? ''));
    if (isSeq(node)) return node.items.map((item, index) => this.convert(item, [...path, index], undefined));

    const entries: [string, unknown][] = [];
    for (const pair of node.items) {
      if (!isScalar(pair.key)) {
        this.report(path, this.position(isNode(pair.key) ? pair.key.range : node.range), 'a key must be plain text');
        continue;
      }
      const name = restoreReferences(String(pair.key.value ?? ''));
      const keyPosition = this.position(pair.key.range);
      if (pair.value === null) {
        // `? key` with no value at all reads like `key:`, an empty value.
        this.positions.set(pathKey([...path, name]), { key: keyPosition, value: keyPosition });
        entries.push([name, '']);
      } else {
        entries.push([name, this.convert(pair.value, [...path, name], keyPosition)]);
      }
    }
    // fromEntries defines own properties, so even a key named `__proto__` stays a key.
    return Object.fromEntries(entries);
  }

  private stop(path: readonly PathSegment[], node: unknown, message: string): void {
    this.stopped = true;
    this.report(path, this.position(isNode(node) ? node.range : undefined), message);
  }

  private position(range: readonly number[] | null | undefined): SourcePosition {
    return this.at(range?.[0] ?? 0);
  }
}
