import middy, { type MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';
import { count, instrumentation, logger } from '../observability.js';
import { toHttpError } from './errors.js';
import { type HttpEvent, type HttpResult, json } from './responses.js';

/**
 * One place that turns errors into answers: an HttpError (or a domain error about the input, see toHttpError)
 * becomes its status and `{error, field, problem}`;
 * anything else is logged with its cause and answered 500 without internals.
 */
export function httpErrors(): MiddlewareObj<HttpEvent, HttpResult> {
  return {
    onError: async (request) => {
      const error = toHttpError(request.error);
      if (error) {
        if (error.status >= 500) logger.error('request failed', { code: error.code, cause: String((error.cause as Error | undefined)?.message ?? '') });
        request.response = json(error.status, error.body());
        return;
      }
      logger.error('unexpected error', { error: request.error as Error });
      request.response = json(500, { error: 'internal_error' });
    },
  };
}

/** Answers by class (`Responses2xx`, `Responses4xx` ...): a webhook's refusals and failures show on the dashboard. */
export function countResponses(): MiddlewareObj<HttpEvent, HttpResult> {
  const counted = (request: { response: HttpResult | undefined | null }) => count(`Responses${String(request.response?.statusCode ?? 500).charAt(0)}xx`);
  return { after: async (request) => counted(request), onError: async (request) => counted(request) };
}

/** The middy stack every HTTP API handler shares. */
export function httpHandler(handler: (event: HttpEvent, context: Context) => Promise<HttpResult>) {
  return middy<HttpEvent, HttpResult>(handler).use(instrumentation()).use(countResponses()).use(httpErrors());
}
