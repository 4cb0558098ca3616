import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { startLocalServer } from '../../lib/local/server.js';
import { findFreePort } from '../../lib/local/stack.js';

export const fixtureText = (source: string, name: string): string => readFileSync(new URL(`../fixtures/${source}/${name}`, import.meta.url), 'utf8');
export const fixtureHeaders = (source: string, name: string): Record<string, string> => JSON.parse(fixtureText(source, name)) as Record<string, string>;

/** The local HTTP API on a free port: each request reaches the real Lambda handler as API Gateway would deliver it. */
export async function localApi() {
  const port = await findFreePort();
  const server: Server = await startLocalServer({ port });
  const base = `http://127.0.0.1:${port}`;
  const request = async (method: string, path: string, options: { body?: string | Buffer; headers?: Record<string, string> } = {}) => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: options.headers ?? {},
      ...(options.body !== undefined ? { body: options.body } : {}),
      redirect: 'manual',
    });
    const text = await response.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: response.status, text, json: json as Record<string, unknown>, headers: response.headers };
  };
  return { base, request, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** An API Gateway HTTP API (payload 2.0) event, as Lambda receives it, for calling a handler directly. */
export function apiGatewayEvent(method: string, path: string, options: { headers?: Record<string, string>; body?: string } = {}): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: `${method} ${path}`,
    rawPath: path,
    rawQueryString: '',
    headers: Object.fromEntries(Object.entries(options.headers ?? {}).map(([name, value]) => [name.toLowerCase(), value])),
    ...(options.body !== undefined ? { body: options.body } : {}),
    isBase64Encoded: false,
    requestContext: { http: { method, path } },
  } as unknown as APIGatewayProxyEventV2;
}
