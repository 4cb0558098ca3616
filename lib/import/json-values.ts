import { StringDecoder } from 'node:string_decoder';

/** One top-level JSON value's text and the line it starts on, or text that cannot be one. */
export type JsonValueText =
  | { readonly kind: 'value'; readonly line: number; readonly text: string }
  | { readonly kind: 'broken'; readonly line: number; readonly problem: string };

/** A value longer than this is refused (an unclosed string would otherwise read the rest of the file into memory). */
const maxValueChars = 16_000_000;

/**
 * Streams the values of a JSON file without parsing the whole file: a top-level array yields its elements, anything
 * else yields each top-level value (JSON Lines, or values one after another). Only one value is held at a time, so
 * memory stays flat at any file size. Each value's text is parsed by the caller, which keeps big integers exact.
 */
export async function* splitJsonValues(chunks: AsyncIterable<Buffer | string>): AsyncGenerator<JsonValueText> {
  const decoder = new StringDecoder('utf8');
  let mode = 'start' as 'start' | 'array' | 'values' | 'done';
  let depth = 0; // nesting inside the current value
  let inString = false;
  let escaped = false;
  let value = '';
  let valueLine = 0;
  let line = 1;
  let arrayClosed = false;
  let expectComma = false;
  let first = true;

  const feed = function* (text: string): Generator<JsonValueText> {
    for (let index = 0; index < text.length; index += 1) {
      const char = text[index]!;
      if (first) {
        first = false;
        if (char === '\uFEFF') continue;
      }
      if (char === '\n') line += 1;
      if (depth > 0 || inString) {
        value += char;
        if (value.length > maxValueChars) {
          yield { kind: 'broken', line: valueLine, problem: `a value longer than ${maxValueChars} characters (an unclosed string or bracket?)` };
          mode = 'done';
          return;
        }
        if (inString) {
          if (escaped) escaped = false;
          else if (char === '\\') escaped = true;
          else if (char === '"') {
            inString = false;
            if (depth === 0) yield* finish();
          }
        } else if (char === '"') inString = true;
        else if (char === '{' || char === '[') depth += 1;
        else if (char === '}' || char === ']') {
          depth -= 1;
          if (depth === 0) yield* finish();
        }
        continue;
      }
      if (/\s/.test(char)) {
        if (value !== '') yield* finish(); // a bare scalar ends at whitespace
        continue;
      }
      if (mode === 'done') continue;
      if (mode === 'start') {
        if (char === '[') {
          mode = 'array';
          continue;
        }
        mode = 'values';
      }
      if (mode === 'array') {
        if (arrayClosed) {
          yield { kind: 'broken', line, problem: 'text after the end of the array' };
          mode = 'done';
          continue;
        }
        if (char === ']') {
          if (value !== '') yield* finish();
          arrayClosed = true;
          continue;
        }
        if (char === ',') {
          if (value !== '') yield* finish();
          if (!expectComma) yield { kind: 'broken', line, problem: 'an empty element (two commas in a row)' };
          expectComma = false;
          continue;
        }
      }
      if (char === ',' && mode === 'values' && value === '') continue; // tolerate `value,\n` in hand-made JSON Lines
      if (value === '') valueLine = line;
      if (expectComma && mode === 'array' && value === '') {
        yield { kind: 'broken', line, problem: 'expected "," between array elements' };
        expectComma = false;
      }
      value += char;
      if (char === '"') inString = true;
      else if (char === '{' || char === '[') depth = 1;
    }
  };

  const finish = function* (): Generator<JsonValueText> {
    const text = value;
    value = '';
    if (mode === 'array') expectComma = true;
    yield { kind: 'value', line: valueLine, text };
  };

  for await (const chunk of chunks) {
    yield* feed(typeof chunk === 'string' ? chunk : decoder.write(chunk));
  }
  yield* feed(decoder.end());
  if (value !== '' && depth === 0 && !inString) yield* finish();
  else if (depth > 0 || inString) yield { kind: 'broken', line: valueLine, problem: 'the file ends inside a value' };
  if (mode === 'array' && !arrayClosed) yield { kind: 'broken', line, problem: 'the file ends before the array is closed with "]"' };
}
