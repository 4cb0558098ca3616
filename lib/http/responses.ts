import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { payloadTooLarge } from './errors.js';

export type HttpEvent = APIGatewayProxyEventV2;
export type HttpResult = APIGatewayProxyStructuredResultV2;

const securityHeaders = { 'x-content-type-options': 'nosniff', 'cache-control': 'no-store' };

export function json(statusCode: number, body: unknown): HttpResult {
  return { statusCode, headers: { 'content-type': 'application/json; charset=utf-8', ...securityHeaders }, body: JSON.stringify(body) };
}

/** Pages are static text with escaped values; no script runs and nothing is framed. */
export function html(statusCode: number, page: string): HttpResult {
  return {
    statusCode,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
      ...securityHeaders,
    },
    body: page,
  };
}

/** The body exactly as the platform sent it: signatures are computed over these bytes. */
export function rawBody(event: HttpEvent, limitBytes: number): Buffer {
  const body = event.body ?? '';
  const bytes = event.isBase64Encoded ? Buffer.from(body, 'base64') : Buffer.from(body, 'utf8');
  if (bytes.length > limitBytes) throw payloadTooLarge(limitBytes);
  return bytes;
}

/** Form fields from an urlencoded or multipart body (RFC 8058 allows both for the one-click POST). */
export function formFields(event: HttpEvent, limitBytes: number): Record<string, string> {
  const bytes = rawBody(event, limitBytes);
  const contentType = header(event, 'content-type') ?? '';
  const fields: Record<string, string> = Object.create(null) as Record<string, string>;
  if (contentType.startsWith('multipart/form-data')) {
    const boundary = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType);
    const marker = boundary?.[1] ?? boundary?.[2];
    if (!marker) return fields;
    // Multipart parsing by hand: the fields here are a few short text values, and no form library runs in Lambda without a server.
    for (const part of bytes.toString('utf8').split(`--${marker}`)) {
      const name = /content-disposition:[^\r\n]*\bname="([^"]*)"/i.exec(part)?.[1];
      const separator = part.indexOf('\r\n\r\n');
      if (name && separator >= 0) fields[name] = part.slice(separator + 4).replace(/\r\n$/, '');
    }
    return fields;
  }
  for (const [name, value] of new URLSearchParams(bytes.toString('utf8'))) fields[name] = value;
  return fields;
}

export function header(event: HttpEvent, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(event.headers ?? {})) if (key.toLowerCase() === wanted) return value;
  return undefined;
}

export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}
