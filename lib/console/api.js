// @ts-check
// The admin API, called with the bearer token this tab holds.

export const tokenKey = 'winback.adminToken';

export class ApiError extends Error {
  /**
   * @param {number} status
   * @param {{ error?: string, field?: string, problem?: string, problems?: { path: string, problem: string }[] } | null} body
   */
  constructor(status, body) {
    super((body && (body.problem || body.error)) || `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

/** @type {(error: ApiError) => void} */
let onUnauthorized = () => {};
/** @param {(error: ApiError) => void} handler */
export const whenUnauthorized = (handler) => (onUnauthorized = handler);

/** @param {string} method @param {string} path @param {string} [body] */
async function send(method, path, body) {
  return fetch(path, {
    method,
    headers: { authorization: `Bearer ${sessionStorage.getItem(tokenKey) ?? ''}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body } : {}),
  });
}

/**
 * JSON in, JSON out; a refusal becomes an ApiError with the API's `{error, field, problem, problems}`.
 * @template [T=any]
 * @param {string} method
 * @param {string} path
 * @param {string} [body]
 * @returns {Promise<T>}
 */
export async function api(method, path, body) {
  const response = await send(method, path, body);
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  if (!response.ok) {
    const error = new ApiError(response.status, data);
    if (response.status === 401) onUnauthorized(error);
    throw error;
  }
  return data;
}

/** A file from the API (the segment's CSV), as a Blob the page offers for download. @param {string} path */
export async function download(path) {
  const response = await send('GET', path);
  if (!response.ok) {
    const error = new ApiError(response.status, await response.json().catch(() => null));
    if (response.status === 401) onUnauthorized(error);
    throw error;
  }
  const name = /filename="([^"]+)"/.exec(response.headers.get('content-disposition') ?? '')?.[1] ?? 'export.csv';
  return { blob: await response.blob(), name, complete: response.headers.get('x-winback-complete') !== 'false' };
}

/** True for an error the page shows where it happened; a 401 has sent the marketer to sign in already. @param {unknown} error */
export const shown = (error) => !(error instanceof ApiError && error.status === 401);
