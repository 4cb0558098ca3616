import type { Context } from 'aws-lambda';
import type { z } from 'zod';
import { badRequest, methodNotAllowed, notFound } from './errors.js';
import type { HttpEvent, HttpResult } from './responses.js';
import { method } from './route.js';

/** What a route's handler gets: the event, the Lambda context, and the path's named parts. */
export interface RouteRequest {
  readonly event: HttpEvent;
  readonly context: Context;
  readonly params: Readonly<Record<string, string>>;
}

export interface Route<D> {
  readonly method: 'GET' | 'POST' | 'PUT';
  /** `/api/campaigns/{id}/diff`: a `{name}` matches one path segment of the campaign-id alphabet. */
  readonly path: string;
  readonly handle: (request: RouteRequest, deps: D) => Promise<HttpResult>;
}

interface Compiled<D> extends Route<D> {
  readonly pattern: RegExp;
  readonly names: readonly string[];
}

/** A path segment as ids are written (campaign ids, `history`, `rollback`): anything else is simply not a route. */
const segment = '([a-z0-9][a-z0-9-]{0,47})';

/**
 * A route table in place of a chain of `if`s: the first route whose path matches wins, earlier entries before
 * later ones (so `/api/campaigns/history` is listed before `/api/campaigns/{id}`). A path that matches with another
 * method answers 405; one that matches nothing, 404.
 */
export function router<D>(routes: readonly Route<D>[]) {
  const compiled: Compiled<D>[] = routes.map((route) => {
    const names: string[] = [];
    const source = route.path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{(\w+)\}/g, (_whole, name: string) => {
      names.push(name);
      return segment;
    });
    return { ...route, pattern: new RegExp(`^${source}$`), names };
  });
  return (event: HttpEvent, context: Context, deps: D): Promise<HttpResult> => {
    const path = event.rawPath ?? '';
    const verb = method(event);
    let pathMatched = false;
    for (const route of compiled) {
      const match = route.pattern.exec(path);
      if (!match) continue;
      pathMatched = true;
      if (route.method !== verb) continue;
      const params = Object.fromEntries(route.names.map((name, index) => [name, match[index + 1]!]));
      return route.handle({ event, context, params }, deps);
    }
    throw pathMatched ? methodNotAllowed() : notFound();
  };
}

/**
 * The one way outside input meets a schema at the edge: the parsed value, or a 400 naming the field and the problem
 * (an unknown key by its name; a problem with no path by `field`).
 */
export function parseOr400<S extends z.ZodType>(schema: S, input: unknown, field: string): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  throw badRequest(issue.code === 'unrecognized_keys' ? issue.keys.join(',') : issue.path.join('.') || field, issue.message);
}
