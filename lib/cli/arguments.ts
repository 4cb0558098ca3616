// Argument parsers and file readers the commands share: their own module, so that a command's module never
// imports main.ts (which imports every command).

import { readFile } from 'node:fs/promises';
import { InvalidArgumentError } from 'commander';
import { isCalendarDate } from '../domain/dates.js';
import { describeJsonSyntaxError } from '../domain/json-syntax.js';

export function parseCalendarDate(text: string): string {
  if (!isCalendarDate(text)) throw new InvalidArgumentError('expected a real date as YYYY-MM-DD, e.g. 2026-11-22.');
  return text;
}

export function parseWholeNumber(min: number, max: number) {
  return (text: string): number => {
    const value = Number(text);
    if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value < min || value > max) {
      throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}.`);
    }
    return value;
  };
}

export async function readJsonFile(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new Error(`cannot read ${path}: ${code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
  }
  // Editors on Windows may start the file with a byte-order mark, which JSON.parse refuses.
  const json = text.startsWith('\uFEFF') ? text.slice(1) : text;
  try {
    return JSON.parse(json);
  } catch (error) {
    throw new Error(`${path} is not valid JSON: ${describeJsonSyntaxError(json, error)}`);
  }
}
