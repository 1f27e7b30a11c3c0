/**
 * The registry's service API, for the recognition subgraph only (envelopes signed with
 * recognition's own key, not client traffic): read a credential's live record with its open disputes, store a
 * usage record, file a dispute.
 */
import { randomUUID } from 'node:crypto';
import type { Express, Request, Response } from 'express';
import { z } from 'zod';
import { recognitionSubgraph, type Region } from '../reference.js';
import { onlyFrom } from '../subgraph-server.js';
import type { RecordStore, UsageRecord } from './records.js';
import type { CredentialStore } from './store.js';

export const INTERNAL_PREFIX = '/internal';

// The usage context's limits are the verification's (1–200 characters each): a record the
// verification accepted must never be refused here, or it would wait in the relay for ever.
const usageRecordSchema = z.object({
  id: z.string().min(1).max(64),
  credentialId: z.string().min(1).max(200),
  verifierOrg: z.string().max(18),
  verifierName: z.string().max(200),
  verifierRegion: z.string().max(64),
  operator: z.string().max(200),
  scenario: z.string().max(64),
  scenarioName: z.string().max(200),
  serviceItemName: z.string().max(200),
  serviceItemCode: z.string().max(200),
  businessCaseNumber: z.string().max(200),
  releasedFields: z.array(z.string().max(64)).max(50),
  verdict: z.enum(['ACCEPTED', 'REJECTED', 'NOT_RECOGNISED', 'INDETERMINATE']),
  reasons: z.array(z.string().max(64)).max(20),
  ruleId: z.string().max(64).nullable(),
  ruleVersion: z.number().int().nullable(),
  verifiedAt: z.string().datetime(),
});

const disputeSchema = z.object({
  credentialId: z.string().min(1).max(200),
  field: z.string().min(1).max(64),
  claim: z.string().min(1).max(1000),
  filedByRole: z.enum(['holder', 'verifier']),
  filedBy: z.string().min(1).max(64),
});

export function internalRoutes(app: Express, region: Region, store: CredentialStore, records: RecordStore): void {
  // Recognition alone reads live records and writes usage records and disputes, with its own key.
  const recognitionOnly = onlyFrom(recognitionSubgraph.name);
  const fail = (res: Response, status: number, message: string) => res.status(status).json({ error: message });

  app.get(`${INTERNAL_PREFIX}/credentials/:id`, recognitionOnly, async (req: Request, res: Response) => {
    const id = String(req.params.id);
    const [credential] = await store.findByIds([id]);
    if (!credential) return fail(res, 404, `No credential with identifier ${id} in the ${region.name} registry.`);
    const openDisputes = (await records.disputesFor([id])).filter((d) => d.status === 'OPEN').map((d) => ({ id: d.id, field: d.field }));
    res.json({ credential, openDisputes });
  });

  app.post(`${INTERNAL_PREFIX}/usage-records`, recognitionOnly, async (req: Request, res: Response) => {
    const parsed = usageRecordSchema.safeParse(req.body);
    if (!parsed.success) return fail(res, 400, 'invalid usage record');
    const stored = await records.addUsageRecord(parsed.data as UsageRecord);
    res.status(stored ? 201 : 200).json({ stored });
  });

  app.post(`${INTERNAL_PREFIX}/disputes`, recognitionOnly, async (req: Request, res: Response) => {
    const parsed = disputeSchema.safeParse(req.body);
    if (!parsed.success) return fail(res, 400, 'invalid dispute');
    const [credential] = await store.findByIds([parsed.data.credentialId]);
    if (!credential) return fail(res, 404, `No credential with identifier ${parsed.data.credentialId} in the ${region.name} registry.`);
    const dispute = await records.fileDispute({ id: randomUUID(), ...parsed.data });
    res.status(201).json({ dispute });
  });
}
