/**
 * The regions file (`subgraphs/regions.json`, or `HUTONG_REGIONS_FILE`): the one place that says
 * which regions run a registry in Hutong, their provinces, subgraph names, URLs and GraphQL type
 * names, and where national issuers' credentials are kept. Checked once when read, with every
 * problem named, so a regional team's typo stops the process with a clear message.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { parseUscc } from './identifiers/index.js';

const city = z.object({
  code: z.string().regex(/^\d{6}$/, 'must be a 6-digit division code'),
  nameZh: z.string().min(1),
});

const province = z
  .object({
    code: z.string().regex(/^\d{2}$/, 'must be a 2-digit province code'),
    name: z.string().min(1),
    nameZh: z.string().min(1),
    short: z.string().length(1, 'must be the one-character abbreviation (沪, 冀 …)'),
    app: z.string().min(1),
    cities: z.array(city).min(1, 'needs at least one city (division codes for seeds)'),
  })
  .superRefine((p, ctx) => {
    for (const [i, c] of p.cities.entries()) {
      if (!c.code.startsWith(p.code)) ctx.addIssue({ code: 'custom', path: ['cities', i, 'code'], message: `must start with the province code ${p.code}` });
    }
  });

const region = z.object({
  code: z.string().regex(/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/, 'must be lower-case words joined by hyphens (it names a folder and a subgraph)').max(40).refine((c) => c !== 'national', 'national is the national rule office, not a region'),
  name: z.string().min(1),
  nameZh: z.string().min(1),
  typePrefix: z.string().regex(/^[A-Z][A-Za-z0-9]*$/, 'must be PascalCase (it prefixes GraphQL type names)'),
  url: z.string().regex(/^https?:\/\/[^/\s]+:\d+\/?$/, 'must be http(s)://host:port'),
  provinces: z.array(province).min(1),
});

const nationalIssuer = z.object({
  issuerCode: z.string().refine((c) => parseUscc(c).ok, 'must be a valid unified social credit code (GB 32100)'),
  name: z.string().min(1),
  region: z.string(),
  note: z.string().optional(),
});

const document = z
  .object({
    $comment: z.string().optional(),
    regions: z.array(region).min(1),
    nationalIssuers: z.array(nationalIssuer).default([]),
  })
  .superRefine((d, ctx) => {
    const seen = (what: string, values: string[], path: (i: number) => (string | number)[]) => {
      const first = new Map<string, number>();
      for (const [i, v] of values.entries()) {
        if (first.has(v)) ctx.addIssue({ code: 'custom', path: path(i), message: `${what} ${v} is already used by entry ${first.get(v)! + 1}` });
        else first.set(v, i);
      }
    };
    seen('region code', d.regions.map((r) => r.code), (i) => ['regions', i, 'code']);
    seen('type prefix', d.regions.map((r) => r.typePrefix), (i) => ['regions', i, 'typePrefix']);
    seen('URL', d.regions.map((r) => r.url.replace(/\/$/, '')), (i) => ['regions', i, 'url']);
    const provinceCodes = d.regions.flatMap((r, i) => r.provinces.map((p, j) => ({ code: p.code, path: ['regions', i, 'provinces', j, 'code'] })));
    const owner = new Map<string, string>();
    for (const p of provinceCodes) {
      const region = String(d.regions[p.path[1] as number]!.code);
      if (owner.has(p.code)) ctx.addIssue({ code: 'custom', path: p.path, message: `province ${p.code} is already in region ${owner.get(p.code)}: a province belongs to one region` });
      else owner.set(p.code, region);
    }
    for (const [i, n] of d.nationalIssuers.entries()) {
      if (!d.regions.some((r) => r.code === n.region)) ctx.addIssue({ code: 'custom', path: ['nationalIssuers', i, 'region'], message: `no region ${n.region} in this file` });
    }
  });

export type RegionsDocument = z.infer<typeof document>;

/** Reads and checks a regions file; the error names the file and every problem in it. */
export function readRegionsFile(file: string): RegionsDocument {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`cannot read the regions file ${file}: ${(error as Error).message}`);
  }
  return parseRegionsDocument(parsed, file);
}

export function parseRegionsDocument(value: unknown, source = 'the regions file'): RegionsDocument {
  const result = document.safeParse(value);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => `  - ${issue.path.join('.') || '(file)'}: ${issue.message}`);
  throw new Error(`${source} is not valid:\n${lines.join('\n')}`);
}
