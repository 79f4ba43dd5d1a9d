/**
 * Runs a zod schema over a YAML source and turns what zod finds into ConfigIssues that name the
 * file, line, column and key, in words an admin editing YAML understands.
 */
import { z } from 'zod';
import { didYouMean } from './did-you-mean.js';
import { formatPath, type ConfigIssue } from './errors.js';
import type { YamlSource } from './yaml-source.js';

/**
 * Validates `value` (by default the source's own; attain.yaml passes it after `${VAR}` substitution,
 * which keeps every path) and reports issues against the source's positions.
 */
export function validate<T>(
  source: YamlSource,
  schema: z.ZodType<T>,
  value: unknown = source.value,
): { value?: T; issues: ConfigIssue[] } {
  // zod names an unknown key but not the keys that were expected; its error map sees the object
  // schema, so note them here for the did-you-mean.
  const expectedKeys = new Map<unknown, readonly string[]>();
  const result = schema.safeParse(value, {
    error: (issue) => {
      if (issue.code === 'unrecognized_keys' && issue.inst instanceof z.ZodObject) {
        expectedKeys.set(issue.input, Object.keys(issue.inst.shape));
      }
      return defaultMessage(issue);
    },
  });
  if (result.success) return { value: result.data, issues: [] };

  const issues = result.error.issues.flatMap(expandUnion).flatMap((issue): ConfigIssue[] => {
    if (issue.code !== 'unrecognized_keys') {
      const { path, message } = issue;
      return [{ file: source.file, ...source.locate(path), path: formatPath(path), message }];
    }
    const expected = expectedKeys.get(valueAt(value, issue.path)) ?? [];
    return issue.keys.map((key) => {
      const path = [...issue.path, key];
      const suggestion = didYouMean(key, expected);
      const message = suggestion ? `unknown key (did you mean ${suggestion}?)` : 'unknown key';
      return { file: source.file, ...source.locate(path, 'key'), path: formatPath(path), message };
    });
  });
  return { issues };
}

export function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `a or b`, `one of a, b, c`. */
export function describeChoices(values: readonly unknown[]): string {
  const names = values.map(String);
  return names.length <= 2 ? names.join(' or ') : `one of ${names.join(', ')}`;
}

const EXPECTED: Record<string, string> = {
  object: 'a mapping (key: value)',
  record: 'a mapping (key: value)',
  array: 'a list',
  string: 'a single value',
};

/** Messages for what the schemas do not word themselves. */
function defaultMessage(issue: z.core.$ZodRawIssue): string | undefined {
  switch (issue.code) {
    case 'invalid_type':
      return issue.input === undefined ? 'required' : `expected ${EXPECTED[issue.expected] ?? issue.expected}`;
    case 'invalid_value':
      return issue.input === undefined
        ? `required: ${describeChoices(issue.values)}`
        : `expected ${describeChoices(issue.values)}`;
    case 'invalid_union': {
      const options: unknown = issue.options;
      if (issue.discriminator === undefined || !Array.isArray(options)) return undefined;
      const given = isMapping(issue.input) ? issue.input[issue.discriminator] : undefined;
      return `${given === undefined ? 'required:' : 'expected'} ${describeChoices(options)}`;
    }
    case 'too_small':
      return issue.origin === 'array' || issue.origin === 'string' ? 'must not be empty' : undefined;
    case 'unrecognized_keys':
      return 'unknown key';
    default:
      return undefined;
  }
}

/**
 * When a value fits none of a union's alternatives but has the shape of exactly one of them (a
 * list where a list or a single value is allowed), that alternative's complaints are the useful ones.
 */
function expandUnion(issue: z.core.$ZodIssue): z.core.$ZodIssue[] {
  if (issue.code !== 'invalid_union' || issue.discriminator !== undefined) return [issue];
  const sameShape = issue.errors.filter(
    (alternative) => !alternative.some((inner) => inner.code === 'invalid_type' && inner.path.length === 0),
  );
  const [only] = sameShape;
  if (sameShape.length !== 1 || !only) return [issue];
  return only.flatMap((inner) => expandUnion({ ...inner, path: [...issue.path, ...inner.path] }));
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let node = root;
  for (const segment of path) {
    if (Array.isArray(node) && typeof segment === 'number') node = node[segment];
    else if (isMapping(node) && typeof segment === 'string') node = node[segment];
    else return undefined;
  }
  return node;
}
