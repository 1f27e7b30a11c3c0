/**
 * A usage record in the graph: the registry names its scenario by reference and gives its verdict
 * and reasons as the shared enums; recognition resolves the scenario by its code; the service API
 * takes only the enums' values.
 */
import { describe, expect, it } from 'vitest';
import { usageRecordSchema } from '../../subgraphs/kit/registry/contract.js';
import { RecordStore } from '../../subgraphs/kit/registry/records.js';
import { registryResolvers, usageRecordOut } from '../../subgraphs/kit/registry/resolvers.js';
import { regionByCode } from '../../subgraphs/kit/reference.js';
import { RecognitionStore } from '../../subgraphs/recognition/db/store.js';
import { createRecognitionLoaders } from '../../subgraphs/recognition/loaders.js';
import type { RecognitionContext } from '../../subgraphs/recognition/resolvers/context.js';
import { Scenario } from '../../subgraphs/recognition/resolvers/types.js';
import { recognitionDatabase, subgraphDatabase } from '../support/databases.js';
import { jinanHallUsage } from '../support/records.js';

describe('a stored usage record as a registry shows it', () => {
  it('names the scenario by reference and keeps the verifier organisation, verdict and reasons', () => {
    const stored = jinanHallUsage('verif-1', 'cred-1', { verdict: 'REJECTED', reasons: ['SUSPENDED', 'EXPIRED'], releasedFields: [] });
    expect(usageRecordOut(stored)).toEqual({
      ...stored,
      verifierOrganisation: '12370100HT9876543X',
      scenario: { code: 'service-hall-visit' },
      verdict: 'REJECTED',
      reasons: ['SUSPENDED', 'EXPIRED'],
    });
  });

  it('leaves out a reason stored before the service API checked reasons, keeping the others', () => {
    const stored = jinanHallUsage('verif-2', 'cred-1', { verdict: 'INDETERMINATE', reasons: ['CONFORMANCE_CHECK', 'ISSUING_REGISTRY_UNREACHABLE'] });
    expect(usageRecordOut(stored).reasons).toEqual(['ISSUING_REGISTRY_UNREACHABLE']);
  });
});

describe('the service API’s usage record', () => {
  const body = { ...jinanHallUsage('verif-3', 'cred-1'), verifiedAt: '2026-01-15T08:30:00.000Z' };

  it.each([
    ['a reason VerdictReason does not list', { reasons: ['CONFORMANCE_CHECK'] }, ['reasons', 0]],
    ['a verdict Verdict does not list', { verdict: 'MAYBE' }, ['verdict']],
    ['an empty scenario code', { scenario: '' }, ['scenario']],
  ])('refuses %s', (_why, change, path) => {
    const parsed = usageRecordSchema.safeParse({ ...body, ...change });
    expect(parsed.success).toBe(false);
    expect(parsed.error!.issues.map((i) => i.path)).toEqual([path]);
  });

  it('takes every value of the enums', () => {
    for (const verdict of ['ACCEPTED', 'REJECTED', 'NOT_RECOGNISED', 'INDETERMINATE']) {
      expect(usageRecordSchema.safeParse({ ...body, verdict }).success).toBe(true);
    }
    const reasons = ['SUSPENDED', 'REVOKED', 'CANCELLED', 'EXPIRED', 'TRANSFERRED_OUT', 'REVOKED_AS_PENALTY', 'OTHER_STATUS', 'SUPERSEDED',
      'NOT_YET_VALID', 'INVALIDATED_BY_ISSUER', 'NO_RULE', 'NOT_FOUND', 'HOLDER_CHANGED', 'ISSUING_REGISTRY_UNREACHABLE'];
    expect(usageRecordSchema.safeParse({ ...body, reasons }).success).toBe(true);
  });
});

describe('recognition resolving a scenario a usage record names', () => {
  const context = async () => {
    const store = new RecognitionStore(await recognitionDatabase());
    return { store, loaders: createRecognitionLoaders(store) } as unknown as RecognitionContext;
  };

  it('gives a scenario it defines in full', async () => {
    expect(await Scenario.__resolveReference({ code: 'hotel-check-in' }, await context())).toEqual({
      code: 'hotel-check-in', name: 'Hotel check-in', nameZh: '旅馆住宿登记', serviceItemCode: 'HT-ZS-0001',
    });
  });

  it('shows a code it does not define by the code, so the holder’s list still reads', async () => {
    expect(await Scenario.__resolveReference({ code: 'conformance' }, await context())).toEqual({ code: 'conformance', name: 'conformance', nameZh: 'conformance', serviceItemCode: '' });
  });
});

describe('the channel of a usage record', () => {
  const consent = { identityDocument: 'RESIDENT_ID_CARD', staffName: '王丽', staffNumber: 'JN-0317' } as const;
  const body = { ...jinanHallUsage('verif-4', 'cred-1'), verifiedAt: '2026-01-15T08:30:00.000Z' };

  it('defaults to PRESENTATION_CODE without a counter, as every sender before channels wrote it', () => {
    expect(usageRecordSchema.parse(body)).toMatchObject({ channel: 'PRESENTATION_CODE', counterAssistance: null });
  });

  it('takes COUNTER_ASSISTED with the counter’s part', () => {
    expect(usageRecordSchema.parse({ ...body, channel: 'COUNTER_ASSISTED', counterAssistance: consent })).toMatchObject({ channel: 'COUNTER_ASSISTED', counterAssistance: consent });
  });

  it.each([
    ['COUNTER_ASSISTED without the counter’s part', { channel: 'COUNTER_ASSISTED' }, ['counterAssistance']],
    ['a counter’s part on a presentation code', { counterAssistance: consent }, ['counterAssistance']],
    ['a channel UsageChannel does not list', { channel: 'POST' }, ['channel']],
    ['an identity document the counter cannot read an ID number from', { channel: 'COUNTER_ASSISTED', counterAssistance: { ...consent, identityDocument: 'PASSPORT' } }, ['counterAssistance', 'identityDocument']],
    ['an empty staff name', { channel: 'COUNTER_ASSISTED', counterAssistance: { ...consent, staffName: '' } }, ['counterAssistance', 'staffName']],
  ])('refuses %s', (_why, change, path) => {
    const parsed = usageRecordSchema.safeParse({ ...body, ...change });
    expect(parsed.success).toBe(false);
    expect(parsed.error!.issues.map((i) => i.path)).toEqual([path]);
  });

  it('is stored by the registry and given back: the counter’s part on a counter-assisted record, nothing said on a code’s', async () => {
    const db = await subgraphDatabase('shandong');
    try {
      const records = new RecordStore(db);
      const atCounter = jinanHallUsage('verif-5', 'cred-5', { channel: 'COUNTER_ASSISTED', counterAssistance: consent, verifiedAt: '2026-01-16T08:30:00.000Z' });
      const withCode = jinanHallUsage('verif-6', 'cred-5');
      expect(await records.addUsageRecord(atCounter)).toBe(true);
      expect(await records.addUsageRecord(withCode)).toBe(true);
      expect(await records.usageRecordsFor(['cred-5'])).toEqual([atCounter, withCode]);
      // The graph's fields: the channel said either way.
      const fields = registryResolvers(regionByCode('shandong')!).UsageRecord as Record<string, (r: unknown) => unknown>;
      expect([fields.channel!(atCounter), fields.counterAssistance!(atCounter)]).toEqual(['COUNTER_ASSISTED', consent]);
      expect([fields.channel!(withCode), fields.counterAssistance!(withCode)]).toEqual(['PRESENTATION_CODE', null]);
      // The database refuses a counter-assisted row without the counter's part.
      await expect(db.query(`update usage_record set counter_staff_name = null where id = 'verif-5'`)).rejects.toThrow(/usage_record_counter_assistance/);
    } finally {
      await db.close();
    }
  });
});
