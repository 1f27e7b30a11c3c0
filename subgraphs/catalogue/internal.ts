/**
 * The catalogue's service API, for the recognition subgraph only (envelopes signed with
 * recognition's own key, never client traffic): which credentials of one type the national index
 * lists for one holder. Recognition asks it when a registered counter verifies a credential for
 * a holder who has no phone to present a code; the answer carries no personal data beyond what
 * recognition sent, and only the type asked for.
 */
import type { Express, Request, Response } from 'express';
import { z } from 'zod';
import { credentialTypeByCode, recognitionSubgraph } from '../kit/reference.js';
import { onlyFrom } from '../kit/subgraph-server.js';
import type { IndexStore } from './db/index-store.js';
import { parseHolderCode } from './routing.js';

export const catalogueInternalPaths = {
  /** A holder's credentials of one type: `?type=<21-character type code>`. */
  holderCredentials: (holderCode: string, typeCode: string) =>
    `/internal/holders/${encodeURIComponent(holderCode)}/credentials?type=${encodeURIComponent(typeCode)}`,
} as const;

export const holderCredentialsAnswerSchema = z.object({
  credentials: z.array(
    z.object({
      credentialId: z.string().min(1),
      typeCode: z.string().min(1),
      regionCode: z.string().min(1),
      /** Status code as the issuing registry last relayed it (01 valid … 99 other, superseded included). */
      status: z.string().min(1),
    }),
  ),
});
export type HolderCredentials = z.output<typeof holderCredentialsAnswerSchema>;

export function catalogueInternalRoutes(app: Express, store: IndexStore): void {
  const fail = (res: Response, status: number, message: string) => res.status(status).json({ error: message });

  app.get('/internal/holders/:code/credentials', onlyFrom(recognitionSubgraph.name), async (req: Request, res: Response) => {
    let holderCode: string;
    try {
      holderCode = parseHolderCode(String(req.params.code)).code;
    } catch {
      return fail(res, 400, 'not a holder code: a citizen ID number (GB 11643) or a unified social credit code (GB 32100)');
    }
    const typeCode = typeof req.query.type === 'string' ? req.query.type : '';
    // One type at a time: recognition learns nothing else of what the holder holds.
    if (!credentialTypeByCode(typeCode)) return fail(res, 400, 'type must be a type code of the national catalogue');
    const entries = await store.byHolders([holderCode]);
    const credentials = entries
      .filter((e) => e.typeCode === typeCode)
      .map((e) => ({ credentialId: e.credentialId, typeCode: e.typeCode, regionCode: e.regionCode, status: e.status }));
    res.json({ credentials } satisfies HolderCredentials);
  });
}
