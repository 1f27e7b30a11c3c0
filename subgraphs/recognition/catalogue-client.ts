import { Agent } from 'undici';
import type { ServiceSigner } from '../kit/auth/service-keys.js';
import { callService, ServiceCallError } from '../kit/auth/service-client.js';
import { catalogueSubgraph } from '../kit/reference.js';
import { catalogueInternalPaths, holderCredentialsAnswerSchema, type HolderCredentials } from '../catalogue/internal.js';

export type IndexedCredential = HolderCredentials['credentials'][number];

/**
 * Recognition's one call to the catalogue: which credentials of a type the national index lists
 * for a holder, when a registered counter verifies for a holder who presents no code.
 */
export class CatalogueClient {
  private readonly agent: Agent;

  constructor(
    private readonly baseUrl: string,
    private readonly signer: ServiceSigner,
    timeoutInMs: number,
  ) {
    this.agent = new Agent({ keepAliveTimeout: 30_000, connections: 4, connectTimeout: timeoutInMs, headersTimeout: timeoutInMs, bodyTimeout: timeoutInMs });
  }

  /** Throws ServiceCallError when the catalogue cannot be reached or answers something else than its contract. */
  async holderCredentials(holderCode: string, typeCode: string): Promise<IndexedCredential[]> {
    const answer = await callService<unknown>(this.agent, this.signer, {
      audience: catalogueSubgraph.name,
      baseUrl: this.baseUrl.replace(/\/+$/, ''),
      method: 'GET',
      path: catalogueInternalPaths.holderCredentials(holderCode, typeCode),
    });
    const parsed = holderCredentialsAnswerSchema.safeParse(answer);
    if (!parsed.success) throw new ServiceCallError('the catalogue answered an unusable list of a holder’s credentials');
    return parsed.data.credentials;
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}
