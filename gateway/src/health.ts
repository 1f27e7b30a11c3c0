import type { Express } from 'express';
import { Agent, request } from 'undici';
import { catalogueSubgraph } from '../../subgraphs/kit/reference.js';
import type { SubgraphHealth } from './resilience.js';

export type GatewayPhase = 'starting' | 'serving' | 'stopping';

export interface HealthSources {
  phase: () => GatewayPhase;
  subgraphs: () => Record<string, SubgraphHealth>;
  /** Base URL of a subgraph (no `/graphql`), to read the catalogue's relay lag from its `/ready`. */
  baseUrlOf: (subgraph: string) => string | undefined;
}

const CATALOGUE_READY_TIMEOUT_MS = 500;

/**
 * `/health`: the process answers. `/ready`: 503 while starting or stopping, so a load balancer
 * sends nothing; otherwise 200, `ready` or `degraded` when a subgraph's breaker is not closed —
 * the gateway still serves every other region, so it stays in rotation. The body says which
 * subgraph is failing and how far the catalogue's index lags each registry.
 */
export function healthRoutes(app: Express, sources: HealthSources): { close(): Promise<void> } {
  const agent = new Agent({ connections: 2, keepAliveTimeout: 10_000 });
  app.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/ready', async (_req, res) => {
    const phase = sources.phase();
    if (phase !== 'serving') {
      res.status(503).json({ status: phase });
      return;
    }
    const subgraphs = sources.subgraphs();
    const degraded = Object.values(subgraphs).some((s) => s.breaker !== 'closed');
    res.json({ status: degraded ? 'degraded' : 'ready', subgraphs, catalogueRelay: await catalogueRelay(agent, sources.baseUrlOf(catalogueSubgraph.name)) });
  });
  return { close: () => agent.close() };
}

async function catalogueRelay(agent: Agent, baseUrl: string | undefined): Promise<unknown> {
  if (!baseUrl) return { state: 'unknown' };
  try {
    const res = await request(`${baseUrl}/ready`, { dispatcher: agent, signal: AbortSignal.timeout(CATALOGUE_READY_TIMEOUT_MS) });
    const body = (await res.body.json()) as { relay?: unknown };
    return body.relay ?? { state: 'unknown' };
  } catch (error) {
    return { state: 'unreachable', reason: (error as Error).message };
  }
}
