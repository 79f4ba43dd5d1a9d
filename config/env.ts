/**
 * `${VAR}` references in attain.yaml, replaced from the environment before validation, and the
 * rule that a secret is never written in the file itself.
 */
import { formatPath, type ConfigIssue, type PathSegment } from './errors.js';
import { SECRET_PATHS, SECRET_URL_PATHS } from './secrets.js';
import { isMapping } from './validate.js';
import type { YamlSource } from './yaml-source.js';

const REFERENCE = /\$\{([^}]*)\}/g;
const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const WHOLE_REFERENCE = /^\$\{[A-Za-z_][A-Za-z0-9_]*\}$/;
const SOME_REFERENCE = /\$\{[A-Za-z_][A-Za-z0-9_]*\}/;

/**
 * Whether a connection URL, as written in attain.yaml, holds a password that is not a reference:
 * `postgres://attain:s3cret@db/${DB}` has one even though a `${…}` appears elsewhere in it. The
 * userinfo is what comes between `scheme://` and the first `@` before any `/`, `?` or `#`; its
 * password is after its first `:`, and must be absent or exactly one `${VAR}`.
 */
export function hasLiteralPassword(url: string): boolean {
  const userinfo = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/([^/?#]*)@/.exec(url)?.[1];
  if (userinfo === undefined) return false;
  const colon = userinfo.indexOf(':');
  if (colon < 0) return false;
  const password = userinfo.slice(colon + 1);
  return password !== '' && !WHOLE_REFERENCE.test(password);
}

/**
 * The source's value with every `${VAR}` in a string value replaced (keys are left alone; the
 * replacement is never re-read as YAML). `unresolved` holds the formatted paths of values that
 * could not be completed, so validation need not complain about them a second time.
 */
export function substituteEnv(
  source: YamlSource,
  env: NodeJS.ProcessEnv,
): { value: unknown; issues: ConfigIssue[]; unresolved: Set<string> } {
  const issues: ConfigIssue[] = [];
  const unresolved = new Set<string>();
  const report = (path: readonly PathSegment[], message: string) => {
    issues.push({ file: source.file, ...source.locate(path), path: formatPath(path), message });
    unresolved.add(formatPath(path));
  };

  const substitute = (node: unknown, path: PathSegment[]): unknown => {
    if (Array.isArray(node)) return node.map((item, index) => substitute(item, [...path, index]));
    if (isMapping(node)) {
      return Object.fromEntries(Object.entries(node).map(([key, value]) => [key, substitute(value, [...path, key])]));
    }
    if (typeof node !== 'string') return node;

    const configPath = formatPath(path);
    const secret = SECRET_PATHS[configPath];
    if (secret !== undefined) {
      const url = SECRET_URL_PATHS.has(configPath);
      const fromEnvironment = url ? SOME_REFERENCE.test(node) : WHOLE_REFERENCE.test(node);
      // The messages never repeat the value: it is a secret that should not be in a log either.
      if (!fromEnvironment) {
        report(path, `a secret must come from the environment: write \${${secret}} and set ${secret}`);
        return node;
      }
      if (url && hasLiteralPassword(node)) {
        report(
          path,
          `the password in this URL must come from the environment: write it as \${VAR} (user:\${PGPASSWORD}@host) or the whole URL as \${${secret}}`,
        );
        return node;
      }
    }

    const replaced = node.replace(REFERENCE, (reference, name: string) => {
      if (!VARIABLE_NAME.test(name)) {
        report(path, `${reference} is not a variable reference: write \${NAME} with letters, digits and _`);
        return reference;
      }
      const value = env[name];
      if (value === undefined || value === '') {
        report(path, `environment variable ${name} is ${value === undefined ? 'not set' : 'empty'}`);
        return reference;
      }
      return value;
    });
    if (node.replace(REFERENCE, '').includes('${')) report(path, 'unclosed ${: write ${NAME}');
    return replaced;
  };

  return { value: substitute(source.value, []), issues, unresolved };
}
