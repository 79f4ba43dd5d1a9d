/**
 * Text from data (rep names, record ids, reject reasons, a CRM's error message) made safe to print
 * on a terminal. A control character (C0, DEL, C1) or a bidirectional override in a CSV name or a
 * CRM field would otherwise reach the terminal raw: an escape sequence can clear the screen,
 * rewrite earlier lines, set the window title or hide text. Each is shown as a visible escape
 * (`\x1b`, `\u202e`) instead, so the admin sees that the data holds one.
 *
 * JSON output (`--json`, the JSON log lines) needs none of this: JSON.stringify escapes them.
 */
// eslint-disable-next-line no-control-regex
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
// eslint-disable-next-line no-control-regex
const UNPRINTABLE_BUT_LINES = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

const visible = (char: string): string => {
  const code = char.charCodeAt(0);
  return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
};

/** One value on one line: every control character escaped, newlines included. */
export function printable(text: string): string {
  return text.replace(UNPRINTABLE, visible);
}

/** A message that may span lines (a list of config issues): newlines kept, every other control escaped. */
export function printableLines(text: string): string {
  return text.replace(UNPRINTABLE_BUT_LINES, visible);
}
