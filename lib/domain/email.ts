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
