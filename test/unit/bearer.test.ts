import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { requireBearer } from '../../lib/http/bearer.js';
import { HttpError } from '../../lib/http/errors.js';

const token = 'local-admin-token-0123456789abcdef';
const event = (headers: Record<string, string>, requestContext: Record<string, unknown> = {}) =>
  ({ headers, requestContext }) as unknown as APIGatewayProxyEventV2;

describe('the admin API authorization', () => {
  it('lets the right bearer token in and refuses a wrong, a missing or a truncated one with 401', () => {
    expect(() => requireBearer(event({ authorization: `Bearer ${token}` }), token)).not.toThrow();
    const refused: Record<string, string>[] = [
      { authorization: 'Bearer nope' },
      {},
      { authorization: `Bearer ${token.slice(0, -1)}` },
      { authorization: token },
    ];
    for (const headers of refused) {
      expect(() => requireBearer(event(headers), token)).toThrow(HttpError);
    }
  });

  it('trusts the claims API Gateway put there after its JWT authorizer verified a Cognito token', () => {
    // Prepare
    const verified = event({ authorization: 'Bearer eyJ.cognito.jwt' }, { authorizer: { jwt: { claims: { sub: 'marketer-1' }, scopes: [] } } });
    // Act / Assess
    expect(() => requireBearer(verified, token)).not.toThrow();
  });
});
