import { z } from 'zod';
import { regions } from '../reference.js';

export const roles = ['holder', 'verifier', 'issuer', 'analyst', 'admin', 'rule-officer'] as const;
export type Role = (typeof roles)[number];

/** Who is asking: established by the gateway from the client's token, carried to subgraphs in the signed envelope. */
export interface Caller {
  role: Role | 'anonymous';
  /** The token's subject (a person or an operator account). */
  subject?: string;
  /** Holders: their holder code (citizen ID number or USCC). */
  holderCode?: string;
  /** Verifiers, issuers and rule officers: the region they act in (`national` for the national rule office). */
  region?: string;
  /** Verifiers, issuers and rule officers: their organisation's USCC. */
  organisation?: string;
  organisationName?: string;
  /** Verifiers: the scenarios (service item codes) they are registered for. */
  scenarios?: string[];
}

export const anonymous: Caller = { role: 'anonymous' };

/** The region claim of the national rule office's officers; never a region code (the regions file refuses it). */
export const NATIONAL = 'national';

/** Claims a client token carries (issued by the identity provider). */
const clientClaims = z
  .object({
    sub: z.string().min(1).max(128),
    role: z.enum(roles),
    holder_code: z.string().regex(/^[0-9A-Z]{18}$/, 'must be an 18-character holder code').optional(),
    region: z.string().regex(/^[a-z][a-z-]{1,40}$/).optional(),
    org: z.string().regex(/^[0-9A-Z]{18}$/, 'must be an 18-character USCC').optional(),
    org_name: z.string().max(200).optional(),
    scenarios: z.array(z.string().regex(/^[a-z0-9-]{1,64}$/)).max(100).optional(),
  })
  .superRefine((c, ctx) => {
    if (c.role === 'holder' && !c.holder_code) ctx.addIssue({ code: 'custom', message: 'a holder token needs holder_code' });
    if ((c.role === 'verifier' || c.role === 'issuer') && (!c.region || !c.org)) {
      ctx.addIssue({ code: 'custom', message: `${c.role === 'issuer' ? 'an' : 'a'} ${c.role} token needs region and org` });
    }
    // A rule officer speaks for one region of the regions file, or for the national rule office.
    if (c.role === 'rule-officer' && (!c.org || !c.region || (c.region !== NATIONAL && !regions.some((r) => r.code === c.region)))) {
      ctx.addIssue({
        code: 'custom',
        message: `a rule-officer token needs org and region: a region code (${regions.map((r) => r.code).join(', ')}) or ${NATIONAL} for the national rule office`,
      });
    }
  });

/** Turns verified client-token claims into a caller; throws with a clear reason when they do not fit. */
export function callerFromClaims(payload: Record<string, unknown>): Caller {
  const parsed = clientClaims.safeParse(payload);
  if (!parsed.success) throw new Error(`token claims are not acceptable: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
  const c = parsed.data;
  return {
    role: c.role,
    subject: c.sub,
    holderCode: c.holder_code,
    region: c.region,
    organisation: c.org,
    organisationName: c.org_name,
    scenarios: c.scenarios,
  };
}

/** The envelope's copy of a caller: only fields that are set. */
export function callerClaims(caller: Caller): Record<string, unknown> {
  return Object.fromEntries(Object.entries(caller).filter(([, v]) => v !== undefined));
}

const envelopeCaller = z.object({
  role: z.enum([...roles, 'anonymous']),
  subject: z.string().optional(),
  holderCode: z.string().optional(),
  region: z.string().optional(),
  organisation: z.string().optional(),
  organisationName: z.string().optional(),
  scenarios: z.array(z.string()).optional(),
});

export function callerFromEnvelope(value: unknown): Caller {
  return envelopeCaller.parse(value);
}
