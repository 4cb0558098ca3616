import { HttpError } from './errors.js';
import type { HttpEvent } from './responses.js';

/** The `{token}` path parameter; API Gateway fills pathParameters, and the raw path serves when it did not. */
export function pathToken(event: HttpEvent): string {
  const fromRoute = event.pathParameters?.token;
  if (fromRoute) return fromRoute;
  const segments = (event.rawPath ?? '').split('/').filter(Boolean);
  try {
    return decodeURIComponent(segments.at(-1) ?? '');
  } catch (error) {
    // A malformed percent-escape is the sender's mistake: 400, not the URIError as a 500.
    throw new HttpError(
      400,
      'invalid_path',
      'token: malformed percent-escape',
      { field: 'token', problem: 'malformed percent-escape in the link' },
      { cause: error },
    );
  }
}

export function method(event: HttpEvent): string {
  return event.requestContext?.http?.method?.toUpperCase() ?? 'GET';
}

/**
 * The admin API's Lambda timeout: API Gateway waits at most 30 s for an integration, so the function stops first.
 * The local server gives the handler the same time, so a preview samples locally as it would on AWS.
 */
export const adminApiTimeoutSeconds = 29;
