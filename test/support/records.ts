/** Usage records as a registry stores them, for tests of the registry's stores and resolvers. */
import type { UsageRecord } from '../../subgraphs/kit/registry/records.js';

/** A Jinan service hall's accepted verification of a credential; fields can be replaced. */
export function jinanHallUsage(id: string, credentialId: string, more: Partial<UsageRecord> = {}): UsageRecord {
  return {
    id,
    credentialId,
    verifierOrg: '12370100HT9876543X',
    verifierName: '济南市政务服务中心',
    verifierRegion: 'shandong',
    operator: 'window-3',
    scenario: 'service-hall-visit',
    scenarioName: 'Service hall visit',
    serviceItemName: '户籍迁移',
    serviceItemCode: '370100-HJ-001',
    businessCaseNumber: 'JN2026-000123',
    releasedFields: ['holderName'],
    verdict: 'ACCEPTED',
    reasons: [],
    ruleId: 'rule-eid-hall',
    ruleVersion: 3,
    verifiedAt: '2026-01-15T08:30:00.000Z',
    ...more,
  };
}
