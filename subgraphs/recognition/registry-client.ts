import { Agent } from 'undici';
import type { Caller } from '../kit/auth/caller.js';
import type { ServiceSigner } from '../kit/auth/service-keys.js';
import { callService, ServiceCallError } from '../kit/auth/service-client.js';
import type { Dispute, UsageRecord } from '../kit/registry/records.js';
import type { StoredCredential } from '../kit/registry/store.js';

export interface LiveCredential {
  credential: StoredCredential;
  openDisputes: { id: string; field: string }[];
}

export interface CallOptions {
  /** Ends the call when it fires (a verification's deadline, the relay stopping). */
  signal?: AbortSignal;
}

/** The recognition subgraph's calls to the registries' service API (live records, usage records, disputes). */
export class RegistryClient {
  private readonly agent: Agent;

  constructor(
    private readonly urls: Record<string, string>,
    private readonly signer: ServiceSigner,
    timeoutInMs: number,
  ) {
    this.agent = new Agent({ keepAliveTimeout: 30_000, connections: 16, connectTimeout: timeoutInMs, headersTimeout: timeoutInMs, bodyTimeout: timeoutInMs });
  }

  /** The live record, or null when the registry does not hold it. Throws ServiceCallError when unreachable or too late. */
  async credential(regionCode: string, id: string, options: CallOptions = {}): Promise<LiveCredential | null> {
    try {
      return await this.call<LiveCredential>(regionCode, 'GET', `/internal/credentials/${encodeURIComponent(id)}`, undefined, undefined, options.signal);
    } catch (error) {
      if (error instanceof ServiceCallError && error.status === 404) return null;
      throw error;
    }
  }

  async recordUsage(regionCode: string, record: UsageRecord, options: CallOptions = {}): Promise<void> {
    await this.call(regionCode, 'POST', '/internal/usage-records', record, undefined, options.signal);
  }

  async fileDispute(regionCode: string, dispute: Pick<Dispute, 'credentialId' | 'field' | 'claim' | 'filedByRole' | 'filedBy'>, caller: Caller): Promise<Dispute> {
    return (await this.call<{ dispute: Dispute }>(regionCode, 'POST', '/internal/disputes', dispute, caller)).dispute;
  }

  close(): Promise<void> {
    return this.agent.close();
  }

  private async call<T>(regionCode: string, method: 'GET' | 'POST', path: string, json?: unknown, caller?: Caller, signal?: AbortSignal): Promise<T> {
    const baseUrl = this.urls[regionCode];
    if (!baseUrl) throw new ServiceCallError(`no registry configured for ${regionCode}`);
    const call = { audience: regionCode, baseUrl, method, path, json, caller };
    if (!signal) return callService<T>(this.agent, this.signer, call);
    if (signal.aborted) throw abandoned(regionCode, signal);
    // undici aborts the request when the signal fires (freeing its connection), but only once it
    // has one: a request still queued for a connection waits for it first. The race answers at once.
    const pending = callService<T>(this.agent, this.signer, { ...call, signal });
    let onAbort = () => {};
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(abandoned(regionCode, signal));
      signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      return await Promise.race([pending, aborted]);
    } finally {
      signal.removeEventListener('abort', onAbort);
      pending.catch(() => {});
    }
  }
}

function abandoned(regionCode: string, signal: AbortSignal): ServiceCallError {
  const timedOut = (signal.reason as Error | undefined)?.name === 'TimeoutError';
  return new ServiceCallError(timedOut ? `${regionCode} did not answer within the deadline` : `${regionCode} call abandoned: ${String((signal.reason as Error | undefined)?.message ?? signal.reason)}`);
}
