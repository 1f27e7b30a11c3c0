/**
 * Recognition reference data from the scenarios in the source articles: service items, registered
 * verifiers, acceptance rules of verifying regions and invalidation rules of issuing regions.
 * Verifier USCCs are generated (valid check characters, division code of their province).
 */
import { credentialTypeBySlug } from '../kit/reference.js';
import type { DisputedFieldPolicy } from './engine.js';
import { loadRegionalData, verifierOrganisation, type VerifierKind } from './regional-data.js';

export type { DisputedFieldPolicy };

export interface Scenario {
  code: string;
  name: string;
  nameZh: string;
  serviceItemCode: string;
}

export interface FieldRelease {
  /** A metadata field (`holderName`, `holderCode`, `number`, `expiryDate`, …) or `face.<key>`. */
  field: string;
  /** The verifier may keep the value after the check (e.g. a hotel's police registration duty). */
  retain: boolean;
  /** Released masked (e.g. 3201**********8039). */
  masked: boolean;
  /**
   * Set by the engine, never by a rule: the rule withholds disputed fields and an open dispute
   * contests this one, so the verifier is told the field exists but gets no value.
   */
  withheld?: boolean;
}

export interface AcceptanceRule {
  id: string;
  version: number;
  acceptingRegion: string | null;
  acceptingProvinces: string[] | null;
  scenario: string;
  credentialType: string;
  issuingProvinces: string[] | null;
  acceptedStatuses: string[];
  requireWithinValidity: boolean;
  releasedFields: FieldRelease[];
  /** Absent in rules written before rules could say: RELEASE_FLAGGED. */
  disputedFieldPolicy?: DisputedFieldPolicy;
  validFrom: string;
  validUntil: string | null;
  legalBasis: string;
}

export interface InvalidationRule {
  id: string;
  version: number;
  issuingProvinces: string[];
  credentialType: string;
  scenarios: string[] | null;
  statuses: string[];
  validFrom: string;
  validUntil: string | null;
  legalBasis: string;
}

export interface Verifier {
  organisation: string;
  name: string;
  region: string;
  province: string;
  scenarios: string[];
  /**
   * A registered counter (窗口): its staff may verify a credential for a holder who has no phone,
   * in person, with the holder's consent (present only when true).
   */
  registeredCounter?: true;
  /** Name of its development identity (`npm run tokens`), when its region gives one. */
  identity?: string;
}

const nationalScenarios: Scenario[] = [
  { code: 'traffic-check', name: 'Traffic police check', nameZh: '交通执法亮证查验', serviceItemCode: 'HT-JT-0001' },
  { code: 'hotel-check-in', name: 'Hotel check-in', nameZh: '旅馆住宿登记', serviceItemCode: 'HT-ZS-0001' },
  { code: 'library-entry', name: 'Library entry and borrowing', nameZh: '图书馆入馆借阅', serviceItemCode: 'HT-TS-0001' },
  { code: 'flat-rental', name: 'Renting out a flat', nameZh: '房屋出租核验', serviceItemCode: 'HT-FW-0001' },
  { code: 'subsidy-payout', name: 'Subsidy payout', nameZh: '财政补助资金发放', serviceItemCode: 'HT-CZ-0001' },
  { code: 'service-hall-visit', name: 'Government service hall visit', nameZh: '政务服务大厅办事', serviceItemCode: 'HT-ZW-0001' },
];

const r = (field: string, retain = false, masked = false): FieldRelease => ({ field, retain, masked });
const type = (slug: string) => credentialTypeBySlug(slug).code;
const YRD = ['31', '32', '33', '34'];

const nationalAcceptanceRules: AcceptanceRule[] = [
  {
    id: 'yrd-traffic-driving-licence', version: 1, acceptingRegion: 'yangtze-delta', acceptingProvinces: null,
    scenario: 'traffic-check', credentialType: type('e-driving-licence'), issuingProvinces: YRD,
    acceptedStatuses: ['VALID'], requireWithinValidity: true,
    releasedFields: [r('holderName'), r('face.licenceClass'), r('expiryDate'), r('number', false, true)],
    validFrom: '2021-06-01', validUntil: null,
    legalBasis: 'Yangtze River Delta agreement on mutual recognition of e-driving and e-vehicle licences in traffic enforcement (长三角电子证照互认).',
  },
  {
    id: 'yrd-traffic-vehicle-licence', version: 1, acceptingRegion: 'yangtze-delta', acceptingProvinces: null,
    scenario: 'traffic-check', credentialType: type('e-vehicle-licence'), issuingProvinces: YRD,
    acceptedStatuses: ['VALID'], requireWithinValidity: true,
    releasedFields: [r('holderName'), r('face.plateNumber'), r('face.vehicleType')],
    validFrom: '2021-06-01', validUntil: null,
    legalBasis: 'Yangtze River Delta agreement on mutual recognition of e-driving and e-vehicle licences in traffic enforcement (长三角电子证照互认).',
  },
  {
    id: 'yrd-hotel-e-id', version: 1, acceptingRegion: 'yangtze-delta', acceptingProvinces: null,
    scenario: 'hotel-check-in', credentialType: type('e-id'), issuingProvinces: YRD,
    acceptedStatuses: ['VALID'], requireWithinValidity: true,
    // The full ID number is released and retained for the hotel's police registration duty only.
    releasedFields: [r('holderName', true), r('holderCode', true), r('face.sex'), r('face.address', false, true)],
    validFrom: '2021-01-01', validUntil: null,
    legalBasis: 'Yangtze River Delta e-ID check-in without the physical card (长三角区域内入住宾旅馆刷码登记).',
  },
  {
    id: 'cc-library-social-security-card', version: 1, acceptingRegion: 'chengdu-chongqing', acceptingProvinces: null,
    scenario: 'library-entry', credentialType: type('e-social-security-card'), issuingProvinces: ['50', '51'],
    acceptedStatuses: ['VALID'], requireWithinValidity: true,
    releasedFields: [r('holderName'), r('face.cardSerial')],
    validFrom: '2021-03-01', validUntil: null,
    legalBasis: 'Chongqing Library and Sichuan Library cross-province borrowing with e-social-security cards (川渝通办).',
  },
  {
    id: 'cq-rental-real-estate', version: 1, acceptingRegion: 'chengdu-chongqing', acceptingProvinces: ['50'],
    scenario: 'flat-rental', credentialType: type('e-real-estate-certificate'), issuingProvinces: ['50'],
    acceptedStatuses: ['VALID'], requireWithinValidity: false,
    releasedFields: [r('holderName', true), r('number', true), r('face.location', true), r('face.use')],
    validFrom: '2021-01-01', validUntil: null,
    legalBasis: 'Chongqing: e-real-estate certificates on 渝快办 accepted by agencies for rental checks.',
  },
  {
    id: 'zj-subsidy-business-licence', version: 1, acceptingRegion: 'yangtze-delta', acceptingProvinces: ['33'],
    scenario: 'subsidy-payout', credentialType: type('e-business-licence'), issuingProvinces: ['33'],
    acceptedStatuses: ['VALID'], requireWithinValidity: false,
    releasedFields: [r('holderCode', true), r('holderName', true), r('face.legalRepresentative')],
    validFrom: '2020-03-01', validUntil: null,
    legalBasis: 'Zhejiang direct subsidy payout to enterprises by e-business licence (电子营业执照“刷脸”“刷码”发放补助).',
  },
  {
    id: 'sd-service-hall-e-id', version: 1, acceptingRegion: 'shandong', acceptingProvinces: null,
    scenario: 'service-hall-visit', credentialType: type('e-id'), issuingProvinces: ['37'],
    acceptedStatuses: ['VALID'], requireWithinValidity: true,
    releasedFields: [r('holderName'), r('holderCode', false, true)],
    validFrom: '2021-01-01', validUntil: null,
    legalBasis: 'Shandong service halls accept the e-ID shown in 爱山东 instead of the physical card.',
  },
  {
    id: 'national-traffic-driving-licence', version: 1, acceptingRegion: null, acceptingProvinces: null,
    scenario: 'traffic-check', credentialType: type('e-driving-licence'), issuingProvinces: null,
    acceptedStatuses: ['VALID'], requireWithinValidity: true,
    releasedFields: [r('holderName'), r('face.licenceClass'), r('expiryDate')],
    validFrom: '2022-01-01', validUntil: null,
    legalBasis: 'Nationwide e-driving licence (全国推行电子驾驶证), valid in traffic enforcement in every province.',
  },
];

const nationalInvalidationRules: InvalidationRule[] = [
  {
    id: 'yrd-suspended-driving-licence', version: 1, issuingProvinces: YRD, credentialType: type('e-driving-licence'),
    scenarios: ['traffic-check'], statuses: ['SUSPENDED'], validFrom: '2021-06-01', validUntil: null,
    legalBasis: 'A suspended (暂扣) driving licence is not valid for traffic checks.',
  },
];

function verifier(kind: VerifierKind, name: string, region: string, province: string, city: string, scenarioCodes: string[], counter?: 'counter'): Verifier {
  return { organisation: verifierOrganisation(kind, name, city), name, region, province, scenarios: scenarioCodes, ...(counter ? { registeredCounter: true as const } : {}) };
}

/**
 * Registered verifiers, one per scenario and province of the articles. The service hall and the
 * libraries keep counters (窗口) where staff verify for holders without a phone: the traditional
 * channel the articles insist stays open for the elderly and the disabled.
 */
const foundingVerifiers: Verifier[] = [
  verifier('agency', '上海市公安局交通警察总队', 'yangtze-delta', '31', '310101', ['traffic-check']),
  verifier('agency', '江苏省公安厅交通警察总队', 'yangtze-delta', '32', '320100', ['traffic-check']),
  verifier('agency', '浙江省公安厅交通警察总队', 'yangtze-delta', '33', '330100', ['traffic-check']),
  verifier('agency', '安徽省公安厅交通警察总队', 'yangtze-delta', '34', '340100', ['traffic-check']),
  verifier('company', '上海外滩江景酒店有限公司', 'yangtze-delta', '31', '310101', ['hotel-check-in']),
  verifier('company', '南京玄武湖畔宾馆有限公司', 'yangtze-delta', '32', '320100', ['hotel-check-in']),
  verifier('institution', '重庆图书馆', 'chengdu-chongqing', '50', '500106', ['library-entry'], 'counter'),
  verifier('institution', '四川省图书馆', 'chengdu-chongqing', '51', '510100', ['library-entry'], 'counter'),
  verifier('company', '重庆安居房屋中介有限公司', 'chengdu-chongqing', '50', '500112', ['flat-rental']),
  verifier('agency', '浙江省财政厅', 'yangtze-delta', '33', '330100', ['subsidy-payout']),
  verifier('institution', '济南市政务服务中心', 'shandong', '37', '370100', ['service-hall-visit'], 'counter'),
  verifier('agency', '山东省公安厅交通警察总队', 'shandong', '37', '370100', ['traffic-check']),
];

// Regions added later publish their own in their folder (`subgraphs/<region>/recognition.json`).
const regional = loadRegionalData(nationalScenarios.map((s) => s.code));
export const scenarios: Scenario[] = [...nationalScenarios, ...regional.scenarios];
export const acceptanceRules: AcceptanceRule[] = [...nationalAcceptanceRules, ...regional.acceptanceRules];
export const invalidationRules: InvalidationRule[] = [...nationalInvalidationRules, ...regional.invalidationRules];
export const verifiers: Verifier[] = [...foundingVerifiers, ...regional.verifiers];

export function verifierNamed(name: string): Verifier {
  const v = verifiers.find((x) => x.name === name);
  if (!v) throw new Error(`no seeded verifier ${name}`);
  return v;
}
