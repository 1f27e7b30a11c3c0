/** Usage records as a registry stores them, and what an issuer sends, for tests of the registry's stores and resolvers. */
import type { IssueInput } from '../../subgraphs/kit/registry/commands.js';
import type { UsageRecord } from '../../subgraphs/kit/registry/records.js';

/** A Jinan resident's e-ID as the Shandong issuer issues it; fields can be replaced. */
export function shandongEidInput(overrides: Partial<IssueInput> = {}): IssueInput {
  return {
    typeCode: '11100000HT00000183001',
    holderCode: '370102199003071238',
    holderName: '李明华',
    issueDate: '2024-02-29',
    expiryDate: '2044-02-29',
    areaCode: '370102',
    faceFields: [
      { key: 'address', value: '山东省济南市泉城路1号' },
      { key: 'sex', value: '男' },
      { key: 'birthDate', value: '1990-03-07' },
    ],
    ...overrides,
  };
}

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
