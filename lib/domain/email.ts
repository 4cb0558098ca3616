import { createHash } from 'node:crypto';
import { z } from 'zod';

const emailSchema = z.email();

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

export function isDeliverableAddress(email: string | undefined): email is string {
  return typeof email === 'string' && emailSchema.safeParse(normalizeEmail(email)).success;
}

/** Suppression entries and logs carry this instead of the address, so a forgotten customer leaves no plain email behind. */
export function hashEmail(email: string): string {
  return createHash('sha256').update(normalizeEmail(email)).digest('hex');
}

/** For logs: enough to recognise an address you already know, not enough to harvest one. */
export function maskEmail(email: string): string {
  const [local = '', domain = ''] = normalizeEmail(email).split('@');
  return `${local.slice(0, 1)}***@${domain}`;
}

/**
 * A mailbox for a From or To header: `"Display Name" <address>`. Header fields are ASCII (RFC 5322), so a display
 * name with any other character is sent as RFC 2047 encoded-words (`=?UTF-8?B?...?=`), as SES requires; a plain
 * ASCII one is quoted so commas and quotes in a shop's name cannot change the address. Controls and bidirectional
 * formatting characters are dropped first: no line break can start a new header, no override can reorder the name.
 */
export function formatMailbox(displayName: string, address: string): string {
  const name = displayName
    .normalize('NFC')
    .replace(/[\p{Cc}\p{Zl}\p{Zp}\p{Cs}\u061C\u200B\u200E\u200F\u202A-\u202E\u2060\u2066-\u2069\uFEFF]+/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  if (!name) return address;
  if (/^[\x20-\x7E]*$/.test(name)) return `"${name.replace(/["\\]/g, ' ').replace(/ {2,}/g, ' ').trim()}" <${address}>`;
  return `${encodedWords(name).join(' ')} <${address}>`;
}

/** An encoded-word is at most 75 characters (RFC 2047 §2): 45 bytes of UTF-8 make 60 of base64, plus 12 of framing. */
const maxEncodedBytes = 45;

function encodedWords(text: string): string[] {
  const words: string[] = [];
  let chunk = '';
  // Whole code points per word: a character split across two words would decode as two broken ones.
  for (const char of text) {
    if (Buffer.byteLength(chunk + char, 'utf8') > maxEncodedBytes) {
      words.push(chunk);
      chunk = '';
    }
    chunk += char;
  }
  if (chunk) words.push(chunk);
  return words.map((word) => `=?UTF-8?B?${Buffer.from(word, 'utf8').toString('base64')}?=`);
}
