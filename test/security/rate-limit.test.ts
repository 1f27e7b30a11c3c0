import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../support/stack.js';

const LIMIT = 20;
let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ seedCount: 5, gatewayEnv: { HUTONG_RATE_LIMIT_PER_MINUTE: String(LIMIT) } });
});
afterAll(async () => {
  await stack?.stop();
});

describe('per-client rate limit', () => {
  it('answers a client over its limit with 429 RATE_LIMITED, and other clients normally', async () => {
    const hasty = await stack.token({ sub: 'hasty', role: 'analyst' });
    const calm = await stack.token({ sub: 'calm', role: 'analyst' });
    const statuses: number[] = [];
    for (let i = 0; i < LIMIT + 5; i++) statuses.push((await stack.query('{ regions { code } }', {}, { token: hasty })).status);
    expect(statuses.slice(0, LIMIT).every((s) => s === 200)).toBe(true);
    expect(statuses.slice(LIMIT)).toEqual(Array(5).fill(429));

    const res = await fetch(`${stack.gatewayUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${hasty}` },
      body: JSON.stringify({ query: '{ regions { code } }' }),
    });
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
    const body = (await res.json()) as { errors: { extensions: Record<string, unknown> }[] };
    expect(body.errors[0]!.extensions.code).toBe('RATE_LIMITED');
    expect(body.errors[0]!.extensions.requestId).toBe(res.headers.get('x-request-id'));

    const other = await stack.query('{ regions { code } }', {}, { token: calm });
    expect(other.status).toBe(200);
  });

  it('counts made-up tokens against the sender’s address, not as new clients', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < LIMIT + 3; i++) {
      const res = await fetch(`${stack.gatewayUrl}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer made-up-token-number-${i}` },
        body: JSON.stringify({ query: '{ regions { code } }' }),
      });
      statuses.push(res.status);
    }
    expect(statuses.slice(0, LIMIT).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(LIMIT)).toEqual([429, 429, 429]);
  });
});
