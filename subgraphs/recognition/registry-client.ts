import { Agent } from 'undici';
import type { Caller } from '../kit/auth/caller.js';
import type { SigningKey } from '../kit/auth/keys.js';
import { callService, ServiceCallError } from '../kit/auth/service-client.js';
import type { Dispute, UsageRecord } from '../kit/registry/records.js';
import type { StoredCredential } from '../kit/registry/store.js';

export interface LiveCredential {
  credential: StoredCredential;
  openDisputes: { id: string; field: string }[];
}

/** The recognition subgraph's calls to the registries' service API (live records, usage records, disputes). */
export class RegistryClient {
  private readonly agent: Agent;

  constructor(
    private readonly urls: Record<string, string>,
    private readonly key: SigningKey,
    timeoutInMs: number,
  ) {
    this.agent = new Agent({ keepAliveTimeout: 30_000, connections: 16, connectTimeout: timeoutInMs, headersTimeout: timeoutInMs, bodyTimeout: timeoutInMs });
  }

  /** The live record, or null when the registry does not hold it. Throws ServiceCallError when unreachable. */
  async credential(regionCode: string, id: string): Promise<LiveCredential | null> {
    try {
      return await this.call<LiveCredential>(regionCode, 'GET', `/internal/credentials/${encodeURIComponent(id)}`);
    } catch (error) {
      if (error instanceof ServiceCallError && error.status === 404) return null;
      throw error;
    }
  }

  async recordUsage(regionCode: string, record: UsageRecord): Promise<void> {
    await this.call(regionCode, 'POST', '/internal/usage-records', record);
  }

  async fileDispute(regionCode: string, dispute: Pick<Dispute, 'credentialId' | 'field' | 'claim' | 'filedByRole' | 'filedBy'>, caller: Caller): Promise<Dispute> {
    return (await this.call<{ dispute: Dispute }>(regionCode, 'POST', '/internal/disputes', dispute, caller)).dispute;
  }

  close(): Promise<void> {
    return this.agent.close();
  }

  private call<T>(regionCode: string, method: 'GET' | 'POST', path: string, json?: unknown, caller?: Caller): Promise<T> {
    const baseUrl = this.urls[regionCode];
    if (!baseUrl) throw new ServiceCallError(`no registry configured for ${regionCode}`);
    return callService<T>(this.agent, this.key, { audience: regionCode, baseUrl, method, path, json, caller });
  }
}
