import { readFileSync } from 'node:fs';
import { operationFromDocument, Supergraph } from '@apollo/federation-internals';
import { prettyFormatQueryPlan, QueryPlanner } from '@apollo/query-planner';
import { parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { supergraphPath } from '../../scripts/composition.js';
import { readAccessPolicy } from '../../gateway/src/authorization.js';

// As the gateway loads it: access declarations read and enforced by Hutong first.
const supergraph = Supergraph.build(readAccessPolicy(readFileSync(supergraphPath, 'utf8')).executableSdl);
const planner = new QueryPlanner(supergraph);
const plan = (query: string) =>
  prettyFormatQueryPlan(planner.buildQueryPlan(operationFromDocument(supergraph.schema, parse(query))));

/** Services in the order their fetches appear in the plan. */
const fetchedServices = (formatted: string) => [...formatted.matchAll(/Fetch\(service: "([^"]+)"\)/g)].map((m) => m[1]);

describe('query plans', () => {
  it('routes credential(id) through the catalogue to every region’s registry, never a copy in the catalogue', () => {
    const formatted = plan('{ credential(id: "x") { name holderName status } }');
    const services = fetchedServices(formatted);
    expect(services[0]).toBe('catalogue');
    expect(new Set(services.slice(1))).toEqual(new Set(['yangtze-delta', 'chengdu-chongqing', 'shandong', 'hebei']));
    // The catalogue only hands out the typed reference; the fields come from the registries.
    const catalogueFetch = formatted.slice(0, formatted.indexOf('Parallel'));
    expect(catalogueFetch).not.toContain('holderName');
    expect(formatted).toContain('Flatten(path: "credential")');
  });

  it('takes a credential’s type names from its registry, in the same fetch as its fields: two calls, not three', () => {
    const formatted = plan('{ credential(id: "x") { name type { slug nameZh name } } }');
    const services = fetchedServices(formatted);
    expect(services).toHaveLength(5);
    expect(services.filter((s) => s === 'catalogue')).toEqual(['catalogue']);
    expect(formatted).not.toContain('Flatten(path: "credential.type")');
    const shandongFetch = formatted.slice(formatted.indexOf('Fetch(service: "shandong")'), formatted.indexOf('Fetch(service: "yangtze-delta")'));
    expect(shandongFetch).toMatch(/type \{\s+slug\s+nameZh\s+name\s+\}/);
    // Fields only the catalogue has still come from it.
    expect(fetchedServices(plan('{ credential(id: "x") { type { nameZh definingAuthority } } }')).at(-1)).toBe('catalogue');
  });

  it('resolves a holder’s credentials from the index, then from each issuing registry in parallel', () => {
    const formatted = plan('{ holder(code: "x") { credentials(first: 5) { nodes { name status } pageInfo { endCursor } totalCount } } }');
    expect(fetchedServices(formatted)[0]).toBe('catalogue');
    expect(formatted).toMatch(/Parallel/);
    // The page, its cursor and its count come from the index, in the catalogue's one fetch.
    const catalogueFetch = formatted.slice(0, formatted.indexOf('Parallel'));
    expect(catalogueFetch).toContain('credentials(first: 5)');
    expect(catalogueFetch).toContain('endCursor');
    expect(catalogueFetch).toContain('totalCount');
    expect(formatted).toContain('Flatten(path: "holder.credentials.nodes.@")');
  });

  it('pages a credential’s usage records in its issuing registry, with the page asked for', () => {
    const formatted = plan('{ credential(id: "x") { usageRecords(first: 2, after: "c") { nodes { verdict } pageInfo { hasNextPage } } } }');
    const registryFetch = formatted.slice(formatted.indexOf('Fetch(service: "shandong")'));
    expect(registryFetch).toContain('usageRecords(first: 2, after: "c")');
  });

  it('counts credentials in each region’s own registry', () => {
    const services = fetchedServices(plan('{ regions { code credentialCount } }'));
    expect(services[0]).toBe('catalogue');
    expect(new Set(services.slice(1))).toEqual(new Set(['yangtze-delta', 'chengdu-chongqing', 'shandong', 'hebei']));
  });

  it('decides where a credential is accepted after its issuing registry read the fields the decision needs', () => {
    const formatted = plan('{ credential(id: "x") { whereAccepted { accepted } } }');
    const services = fetchedServices(formatted);
    // catalogue (the typed reference) → each issuing registry in parallel → recognition.
    expect(services[0]).toBe('catalogue');
    expect(new Set(services.slice(1, -1))).toEqual(new Set(['yangtze-delta', 'chengdu-chongqing', 'shandong', 'hebei']));
    expect(services.at(-1)).toBe('recognition');
    // What recognition is given comes from the registry, as @requires says.
    const recognitionFetch = formatted.slice(formatted.lastIndexOf('Fetch(service: "recognition")'));
    for (const field of ['typeCode', 'holderCode', 'status', 'effectiveDate', 'expiryDate', 'supersededBy']) expect(recognitionFetch).toContain(field);
  });
});
