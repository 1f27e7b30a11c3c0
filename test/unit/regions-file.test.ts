import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { nationalIssuers, provinces, regions, regionsFilePath } from '../../subgraphs/kit/reference.js';
import { regionOfIdentifier } from '../../subgraphs/kit/routing.js';
import { regionEntityTypes } from '../../subgraphs/kit/region-entities.js';
import { parseRegionsDocument } from '../../subgraphs/kit/regions-file.js';
import { parse, print } from 'graphql';

/** Checks a regions document as the file `regions.json` would be. */
const parseDocument = (doc: unknown) => parseRegionsDocument(doc, 'regions.json');
const committed = JSON.parse(readFileSync(regionsFilePath, 'utf8'));
const withChange = (change: (doc: any) => void) => {
  const doc = structuredClone(committed);
  change(doc);
  return doc;
};

describe('the regions file', () => {
  it('is subgraphs/regions.json, and gives the regions, their provinces and URLs in its order', () => {
    expect(path.relative(process.cwd(), regionsFilePath)).toBe(path.join('subgraphs', 'regions.json'));
    expect(regions.map((r) => [r.code, r.typePrefix, r.provinceCodes.join(','), r.url, r.defaultPort])).toEqual([
      ['yangtze-delta', 'YangtzeDelta', '31,32,33,34', 'http://127.0.0.1:4002', 4002],
      ['chengdu-chongqing', 'ChengduChongqing', '50,51', 'http://127.0.0.1:4003', 4003],
      ['shandong', 'Shandong', '37', 'http://127.0.0.1:4004', 4004],
      ['hebei', 'Hebei', '13', 'http://127.0.0.1:4006', 4006],
    ]);
    expect(provinces.map((p) => `${p.code} ${p.short} ${p.app}`)).toEqual(['31 沪 随申办', '32 苏 苏证通', '33 浙 浙里办', '34 皖 皖事通', '50 渝 渝快办', '51 川 天府通办', '37 鲁 爱山东', '13 冀 冀时办']);
    expect(nationalIssuers).toEqual([{ issuerCode: '11100000HT0000050E', name: '交通运输部', region: 'yangtze-delta' }]);
  });

  it.each([
    ['a province in two regions', (d: any) => d.regions[2].provinces.push(d.regions[0].provinces[0]), 'regions.2.provinces.1.code: province 31 is already in region yangtze-delta: a province belongs to one region'],
    ['a region code twice', (d: any) => (d.regions[1].code = 'yangtze-delta'), 'regions.1.code: region code yangtze-delta is already used by entry 1'],
    ['a type prefix twice', (d: any) => (d.regions[2].typePrefix = 'YangtzeDelta'), 'regions.2.typePrefix: type prefix YangtzeDelta is already used by entry 1'],
    ['a URL twice', (d: any) => (d.regions[2].url = 'http://127.0.0.1:4002'), 'regions.2.url: URL http://127.0.0.1:4002 is already used by entry 1'],
    ['a region code that cannot name a folder', (d: any) => (d.regions[0].code = 'Yangtze Delta'), 'regions.0.code: must be lower-case words joined by hyphens (it names a folder and a subgraph)'],
    ['a type prefix that is not PascalCase', (d: any) => (d.regions[0].typePrefix = 'yangtze_delta'), 'regions.0.typePrefix: must be PascalCase (it prefixes GraphQL type names)'],
    ['a URL without a port', (d: any) => (d.regions[0].url = 'http://127.0.0.1'), 'regions.0.url: must be http(s)://host:port'],
    ['a city outside its province', (d: any) => (d.regions[2].provinces[0].cities[0].code = '320100'), 'regions.2.provinces.0.cities.0.code: must start with the province code 37'],
    ['a two-character abbreviation', (d: any) => (d.regions[2].provinces[0].short = '山东'), 'regions.2.provinces.0.short: must be the one-character abbreviation (沪, 冀 …)'],
    ['a national issuer routed to no region', (d: any) => (d.nationalIssuers[0].region = 'guangdong'), 'nationalIssuers.0.region: no region guangdong in this file'],
    ['a national issuer with a bad check character', (d: any) => (d.nationalIssuers[0].issuerCode = '11100000HT0000050F'), 'nationalIssuers.0.issuerCode: must be a valid unified social credit code (GB 32100)'],
  ])('is refused with %s, naming the entry and the problem', (_what, change, line) => {
    expect(() => parseDocument(withChange(change))).toThrow(`regions.json is not valid:\n  - ${line}`);
  });

  it('names every problem at once', () => {
    const doc = withChange((d) => {
      d.regions[0].code = 'X';
      d.regions[1].typePrefix = 'x';
    });
    expect(() => parseDocument(doc)).toThrow(/regions\.0\.code: .*\n {2}- regions\.1\.typePrefix: /);
  });
});

describe('routing by the regions file', () => {
  it('sends a national issuer’s credential to the region the file names for it', () => {
    expect(regionOfIdentifier('1.2.156.3005.2.11100000HT0000050E001.11100000HT0000050E.HT2024001.001.Z').region.code).toBe('yangtze-delta');
  });
});

describe('the catalogue’s per-region types, generated from the regions file', () => {
  const interfaces = parse(`
    interface Credential @key(fields: "id") { id: ID! name: String! expiryDate: String issuingRegion: Region! }
    interface Region @key(fields: "code") { code: ID! name: String! credentialCount: Int! }
  `);

  it('implement each interface for each region, with the registry’s fields external', () => {
    const hebei = { ...regions[2]!, code: 'hebei', name: 'Hebei', nameZh: '河北', typePrefix: 'Hebei' };
    expect(print(regionEntityTypes(interfaces, [hebei]))).toBe(`"A credential issued in Hebei: routed to the Hebei registry."
type HebeiCredential implements Credential @key(fields: "id") @requiresScopes(scopes: [["holder"], ["issuer"], ["admin"]]) {
  id: ID!
  name: String! @external
  expiryDate: String @external
  issuingRegion: Region!
}

type HebeiRegion implements Region @key(fields: "code") @requiresScopes(scopes: [["public"]]) {
  code: ID!
  name: String!
  credentialCount: Int! @external
}`);
  });

  it('say which interface is missing when the schema does not declare it', () => {
    expect(() => regionEntityTypes(parse('interface Credential { id: ID! }'), regions)).toThrow('region entity types need the interface Region in the same schema');
  });
});
