/**
 * The registry's service API, for the recognition subgraph only (envelopes signed with
 * recognition's own key, not client traffic): read a credential's live record with its open disputes, store a
 * usage record, file a dispute. What each accepts and answers is the registry contract (contract.ts).
 */
import { randomUUID } from 'node:crypto';
import type { Express, Request, Response } from 'express';
import { recognitionSubgraph, type Region } from '../reference.js';
import { onlyFrom } from '../subgraph-server.js';
import { disputeRequestSchema, usageRecordSchema, type LiveRecord } from './contract.js';
import type { RecordStore } from './records.js';
import type { CredentialStore } from './store.js';

export const INTERNAL_PREFIX = '/internal';

export function internalRoutes(app: Express, region: Region, store: CredentialStore, records: RecordStore): void {
  // Recognition alone reads live records and writes usage records and disputes, with its own key.
  const recognitionOnly = onlyFrom(recognitionSubgraph.name);
  const fail = (res: Response, status: number, message: string) => res.status(status).json({ error: message });

  app.get(`${INTERNAL_PREFIX}/credentials/:id`, recognitionOnly, async (req: Request, res: Response) => {
    const id = String(req.params.id);
    const live = await store.findLive(id);
    if (!live) return fail(res, 404, `No credential with identifier ${id} in the ${region.name} registry.`);
    res.json(live satisfies LiveRecord);
  });

  app.post(`${INTERNAL_PREFIX}/usage-records`, recognitionOnly, async (req: Request, res: Response) => {
    const parsed = usageRecordSchema.safeParse(req.body);
    if (!parsed.success) return fail(res, 400, 'invalid usage record');
    const stored = await records.addUsageRecord(parsed.data);
    res.status(stored ? 201 : 200).json({ stored });
  });

  app.post(`${INTERNAL_PREFIX}/disputes`, recognitionOnly, async (req: Request, res: Response) => {
    const parsed = disputeRequestSchema.safeParse(req.body);
    if (!parsed.success) return fail(res, 400, 'invalid dispute');
    const [credential] = await store.findByIds([parsed.data.credentialId]);
    if (!credential) return fail(res, 404, `No credential with identifier ${parsed.data.credentialId} in the ${region.name} registry.`);
    const dispute = await records.fileDispute({ id: randomUUID(), ...parsed.data });
    res.status(201).json({ dispute });
  });
}
