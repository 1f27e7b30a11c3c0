/** The response the gateway's transport hands the data source, read from undici's request API. */
import { describe, expect, it } from 'vitest';
import { SubgraphResponse } from '../../gateway/src/transport.js';

describe('a subgraph response', () => {
  it('reads its headers by any case, joins repeated ones, and says null for a missing one', () => {
    const res = new SubgraphResponse('http://127.0.0.1:1/graphql', 200, { 'content-type': 'application/json', vary: ['accept', 'origin'] }, '{"data":{"a":1}}');
    expect(res.headers.get('Content-Type')).toBe('application/json');
    expect(res.headers.get('vary')).toBe('accept, origin');
    expect(res.headers.get('cache-control')).toBeNull();
  });

  it('is ok for 2xx only, with the status text HTTP gives', () => {
    expect(new SubgraphResponse('u', 200, {}, '').ok).toBe(true);
    expect(new SubgraphResponse('u', 299, {}, '').ok).toBe(true);
    expect(new SubgraphResponse('u', 199, {}, '').ok).toBe(false);
    expect(new SubgraphResponse('u', 300, {}, '').ok).toBe(false);
    const refused = new SubgraphResponse('u', 403, {}, '');
    expect([refused.ok, refused.statusText]).toEqual([false, 'Forbidden']);
  });

  it('gives its body as text and as JSON', async () => {
    const res = new SubgraphResponse('u', 200, {}, '{"data":{"regions":[]}}');
    expect(await res.text()).toBe('{"data":{"regions":[]}}');
    expect(await res.json()).toEqual({ data: { regions: [] } });
    await expect(new SubgraphResponse('u', 502, {}, 'Bad gateway').json()).rejects.toThrow(SyntaxError);
  });
});
