/**
 * Where JSON text first stops being JSON, by line and column, with what was expected there. JSON.parse says only
 * "at position 1834" on Node 20, and nothing at all for some errors; a marketer editing a config file needs the line.
 * Called only after JSON.parse has refused the text. Iterative, so no nesting depth overflows the stack.
 */
export interface JsonSyntaxError {
  /** 1-based, as editors count. */
  readonly line: number;
  readonly column: number;
  readonly problem: string;
}

type Expected = 'value' | 'value-or-close' | 'key' | 'key-or-close' | 'colon' | 'comma-or-close' | 'end';

const numberPattern = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const whitespace = new Set([' ', '\t', '\n', '\r']);
const escapes = new Set(['"', '\\', '/', 'b', 'f', 'n', 'r', 't']);

export function findJsonSyntaxError(text: string): JsonSyntaxError | undefined {
  const stack: ('{' | '[')[] = [];
  let expected: Expected = 'value';
  let offset = 0;
  const fail = (at: number, problem: string): JsonSyntaxError => ({ ...lineAndColumn(text, at), problem });
  const afterValue = (): Expected => (stack.length > 0 ? 'comma-or-close' : 'end');

  for (;;) {
    while (offset < text.length && whitespace.has(text[offset]!)) offset += 1;
    if (offset >= text.length) {
      if (expected === 'end') return undefined;
      const open = stack.at(-1);
      return fail(offset, open ? `the text ends before the closing ${open === '{' ? "'}'" : "']'"}` : 'the text ends where a value was expected');
    }
    const char = text[offset]!;
    switch (expected) {
      case 'end':
        return fail(offset, `unexpected ${describe(char)} after the end of the JSON value`);
      case 'colon':
        if (char !== ':') return fail(offset, `expected ':' after the property name, found ${describe(char)}`);
        offset += 1;
        expected = 'value';
        continue;
      case 'comma-or-close': {
        const close = stack.at(-1) === '{' ? '}' : ']';
        if (char === ',') {
          offset += 1;
          expected = stack.at(-1) === '{' ? 'key' : 'value';
        } else if (char === close) {
          stack.pop();
          offset += 1;
          expected = afterValue();
        } else {
          return fail(offset, `expected ',' or '${close}', found ${describe(char)}${char === '"' ? ' (a missing comma?)' : ''}`);
        }
        continue;
      }
      case 'key':
      case 'key-or-close':
        if (char === '}' && expected === 'key-or-close') {
          stack.pop();
          offset += 1;
          expected = afterValue();
          continue;
        }
        if (char !== '"')
          return fail(offset, `expected a property name in double quotes, found ${describe(char)}${char === '}' ? ' (a trailing comma?)' : ''}`);
        {
          const end = stringEnd(text, offset);
          if (typeof end !== 'number') return fail(end.at, end.problem);
          offset = end;
        }
        expected = 'colon';
        continue;
      case 'value':
      case 'value-or-close':
        if (char === ']' && expected === 'value-or-close') {
          stack.pop();
          offset += 1;
          expected = afterValue();
          continue;
        }
        if (char === '{' || char === '[') {
          stack.push(char);
          offset += 1;
          expected = char === '{' ? 'key-or-close' : 'value-or-close';
          continue;
        }
        if (char === '"') {
          const end = stringEnd(text, offset);
          if (typeof end !== 'number') return fail(end.at, end.problem);
          offset = end;
        } else if (char === '-' || (char >= '0' && char <= '9')) {
          numberPattern.lastIndex = offset;
          const match = numberPattern.exec(text);
          if (!match || match[0] === '-') return fail(offset, 'not a valid number');
          offset += match[0].length;
        } else {
          const literal = ['true', 'false', 'null'].find((word) => text.startsWith(word, offset));
          if (!literal) {
            return fail(
              offset,
              `expected a value, found ${describe(char)}${char === ']' || char === '}' ? ' (a trailing comma?)' : char === "'" ? ' (strings take double quotes)' : ''}`,
            );
          }
          offset += literal.length;
        }
        expected = afterValue();
        continue;
    }
  }
}

/** The offset just past the string that opens at `start`, or where and why it is not a JSON string. */
function stringEnd(text: string, start: number): number | { at: number; problem: string } {
  for (let offset = start + 1; offset < text.length; offset += 1) {
    const char = text[offset]!;
    if (char === '"') return offset + 1;
    if (char < ' ') return { at: offset, problem: 'a control character (such as a line break) inside a string: write it as an escape like \\n' };
    if (char === '\\') {
      const next = text[offset + 1];
      if (next === 'u') {
        if (!/^[0-9a-fA-F]{4}$/.test(text.slice(offset + 2, offset + 6))) return { at: offset, problem: 'a \\u escape needs four hex digits' };
        offset += 5;
      } else if (next !== undefined && escapes.has(next)) {
        offset += 1;
      } else {
        return { at: offset, problem: `an invalid escape ${next === undefined ? '\\' : `\\${next}`} in a string` };
      }
    }
  }
  return { at: start, problem: 'a string that is never closed' };
}

function describe(char: string): string {
  return /^[\x21-\x7e]$/.test(char) ? `'${char}'` : `character U+${char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
}

function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let index = text.indexOf('\n'); index !== -1 && index < offset; index = text.indexOf('\n', index + 1)) {
    line += 1;
    lineStart = index + 1;
  }
  return { line, column: offset - lineStart + 1 };
}

/** "line 3, column 5: expected ',' or '}', found '\"'": the message for a person, whatever JSON.parse said. */
export function describeJsonSyntaxError(text: string, parseError: unknown): string {
  const found = findJsonSyntaxError(text);
  if (found) return `line ${found.line}, column ${found.column}: ${found.problem}`;
  return parseError instanceof Error ? parseError.message : 'not valid JSON';
}
