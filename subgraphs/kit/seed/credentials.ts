/**
 * Seed credentials of one region, generated deterministically from (region, index).
 *
 * Index k of every region works the same way, which is what makes people hold credentials in
 * several regions: every fifth index (k = 5m) belongs to "mover" m, a person drawn from all of
 * Hutong's provinces, so mover m holds one credential in each region (an e-ID from the home
 * region, something else elsewhere). The other indices go to the region's own residents and
 * companies, three credentials each.
 */
import { buildLicenceId, makeUscc } from '../identifiers/index.js';
import {
  credentialTypeBySlug,
  provinceByCode,
  type CredentialType,
  type HolderTypeCode,
  type Province,
  type Region,
  type StatusCode,
} from '../reference.js';
import {
  address,
  moverHomeProvinceCodes,
  organisationFor,
  personFor,
  type Holder,
  type Organisation,
  type Person,
} from './people.js';
import { addYears, Random } from './random.js';

/** A credential's full record as a regional registry stores it (GB/T 36903 style metadata + face). */
export interface CredentialRecord {
  id: string;
  typeCode: string;
  serial: string;
  version: number;
  number: string;
  name: string;
  issuerCode: string;
  issuerName: string;
  issueDate: string;
  effectiveDate: string;
  expiryDate: string | null;
  areaCode: string;
  holderName: string;
  holderCode: string;
  holderType: HolderTypeCode;
  status: StatusCode;
  face: Record<string, string>;
}

export interface Authority {
  code: string;
  name: string;
  province: Province;
}

const MOVER_EVERY = 5;
const CREDENTIALS_PER_RESIDENT = 3;
const ORGANISATION_EVERY = 7;

/** The person who holds index k = 5m in every region. */
export function moverAt(m: number): Person {
  return personFor(`mover:${m}`, moverHomeProvinceCodes);
}

/** Which holder index k of a region belongs to (the same rule the generator uses). */
export function holderAt(region: Region, k: number): Holder {
  if (k % MOVER_EVERY === 0) return moverAt(k / MOVER_EVERY);
  const n = residentIndex(k);
  return n % ORGANISATION_EVERY === ORGANISATION_EVERY - 1
    ? organisationFor(`${region.code}:${n}`, region.provinceCodes)
    : personFor(`${region.code}:${n}`, region.provinceCodes);
}

function residentIndex(k: number): number {
  const j = k - Math.floor(k / MOVER_EVERY) - 1;
  return Math.floor(j / CREDENTIALS_PER_RESIDENT);
}

function residentSlot(k: number): number {
  return (k - Math.floor(k / MOVER_EVERY) - 1) % CREDENTIALS_PER_RESIDENT;
}


function department(province: Province, kind: 'police' | 'traffic' | 'hrss' | 'land' | 'market' | 'transport'): string {
  // A municipality's departments are bureaus (局), a province's departments (厅).
  const bureau = province.nameZh.endsWith('市') ? '局' : '厅';
  switch (kind) {
    case 'police':
      return `${province.nameZh}公安${bureau}`;
    case 'traffic':
      return `${province.nameZh}公安${bureau}交通警察总队`;
    case 'hrss':
      return `${province.nameZh}人力资源和社会保障${bureau}`;
    case 'land':
      return province.code === '50' ? '重庆市规划和自然资源局' : `${province.nameZh}自然资源${bureau}`;
    case 'market':
      return `${province.nameZh}市场监督管理局`;
    case 'transport':
      return `${province.nameZh}交通运输${bureau}`;
  }
}

const departmentOf: Record<string, Parameters<typeof department>[1]> = {
  'e-id': 'police',
  'e-seal': 'police',
  'e-driving-licence': 'traffic',
  'e-vehicle-licence': 'traffic',
  'e-social-security-card': 'hrss',
  'e-real-estate-certificate': 'land',
  'e-business-licence': 'market',
  'e-road-transport-permit': 'transport',
};

/** The issuing authority of a type in a province, with a generated USCC in that province's division. */
export function authorityFor(province: Province, type: CredentialType): Authority {
  const name = department(province, departmentOf[type.slug]!);
  const rnd = new Random(`authority:${name}`);
  const body = 'HT' + rnd.digits(6);
  return { code: makeUscc('1', '1', `${province.code}0000`, body), name, province };
}

/** Every authority that issues credentials in a region. */
export function authoritiesOf(region: Region): Authority[] {
  const seen = new Map<string, Authority>();
  for (const code of region.provinceCodes) {
    const province = provinceByCode(code)!;
    for (const slug of Object.keys(departmentOf)) {
      const a = authorityFor(province, credentialTypeBySlug(slug));
      seen.set(a.code, a);
    }
  }
  return [...seen.values()];
}

function pickType(rnd: Random, region: Region, holder: Holder, k: number): { slug: string; province: Province } {
  if (holder.kind === 'organisation') {
    const slug = ['e-business-licence', 'e-seal', 'e-road-transport-permit'][residentSlot(k)]!;
    return { slug, province: holder.province };
  }
  if (k % MOVER_EVERY === 0) {
    if (region.provinceCodes.includes(holder.province.code)) return { slug: 'e-id', province: holder.province };
    const slug = rnd.pick(['e-driving-licence', 'e-social-security-card', 'e-vehicle-licence', 'e-real-estate-certificate']);
    return { slug, province: provinceByCode(rnd.pick(region.provinceCodes))! };
  }
  const slot = residentSlot(k);
  const slug =
    slot === 0
      ? 'e-id'
      : slot === 1
        ? rnd.pick(['e-driving-licence', 'e-social-security-card'])
        : rnd.pick(['e-vehicle-licence', 'e-real-estate-certificate', 'e-social-security-card']);
  return { slug, province: holder.province };
}

const plateLetters = 'ABCDEFGH';
const vinAlphabet = 'ABCDEFGHJKLMNPRSTUVWXYZ0123456789';

function plate(rnd: Random, province: Province): string {
  let tail = '';
  for (let i = 0; i < 5; i++) tail += rnd.next() < 0.3 ? rnd.pick([...'ABCDEFGHJKLMNPQRSTUVWXYZ']) : String(rnd.int(0, 9));
  return `${province.short}${rnd.pick([...plateLetters])}${tail}`;
}

/** Validity in years by type (null = long-term, 长期). */
function validityYears(slug: string, holder: Holder, issueDate: string): number | null {
  switch (slug) {
    case 'e-id': {
      const age = Number(issueDate.slice(0, 4)) - Number((holder as Person).birthDate.slice(0, 4));
      return age < 16 ? 5 : age <= 25 ? 10 : age <= 45 ? 20 : null;
    }
    case 'e-driving-licence':
      return 6;
    case 'e-social-security-card':
      return 10;
    case 'e-seal':
      return 5;
    case 'e-road-transport-permit':
      return 6;
    default:
      return null;
  }
}

function faceOf(rnd: Random, slug: string, holder: Holder, province: Province, issueDate: string): { number: string; face: Record<string, string> } {
  if (holder.kind === 'organisation') {
    const org = holder as Organisation;
    switch (slug) {
      case 'e-business-licence':
        return {
          number: org.code,
          face: {
            legalRepresentative: org.legalRepresentative.name,
            entityType: '有限责任公司（自然人投资或控股）',
            registeredCapital: `${rnd.pick([50, 100, 200, 500, 1000])}万元人民币`,
            establishedDate: org.establishedDate,
          },
        };
      case 'e-seal':
        return {
          number: `${org.city.code}${rnd.digits(7)}`,
          face: { sealName: org.name, sealType: rnd.pick(['公章', '合同专用章', '财务专用章']) },
        };
      default:
        return {
          number: `${province.short}交运管许可${rnd.digits(6)}号`,
          face: { plateNumber: plate(rnd, province), businessScope: '道路普通货物运输' },
        };
    }
  }
  const person = holder as Person;
  switch (slug) {
    case 'e-id':
      return {
        number: person.code,
        face: { sex: person.sex === 'male' ? '男' : '女', ethnicity: '汉', birthDate: person.birthDate, address: person.address },
      };
    case 'e-driving-licence':
      return {
        number: person.code,
        face: {
          licenceClass: rnd.weighted([['C1', 70], ['C2', 15], ['B2', 8], ['A1', 4], ['D', 3]] as const),
          firstIssueDate: rnd.date(addYears(person.birthDate, 18), issueDate),
          archiveNumber: `${province.code}${rnd.digits(10)}`,
        },
      };
    case 'e-vehicle-licence': {
      let vin = '';
      for (let i = 0; i < 17; i++) vin += rnd.pick([...vinAlphabet]);
      return {
        number: plate(rnd, province),
        face: { plateNumber: '', vehicleType: rnd.pick(['小型轿车', '小型普通客车', '轻型厢式货车']), vin },
      };
    }
    case 'e-social-security-card':
      return {
        number: person.code,
        face: {
          cardSerial: `${rnd.pick(['A', 'B', 'M'])}${rnd.digits(8)}`,
          issuingBank: rnd.pick(['中国工商银行', '中国农业银行', '中国银行', '中国建设银行', '交通银行']),
        },
      };
    default: {
      const city = rnd.pick(province.cities);
      return {
        number: `${province.short}(${issueDate.slice(0, 4)})${city.nameZh}不动产权第${rnd.digits(7)}号`,
        face: {
          location: address(rnd, province, city),
          floorArea: `${rnd.int(40, 180)}.${rnd.digits(2)}`,
          use: rnd.weighted([['住宅', 85], ['商业', 10], ['办公', 5]] as const),
          rightType: '国有建设用地使用权/房屋所有权',
        },
      };
    }
  }
}

/** Credential k of a region: a pure function of (region, k). */
export function seedCredential(region: Region, k: number): CredentialRecord {
  const rnd = new Random(`credential:${region.code}:${k}`);
  const holder = holderAt(region, k);
  const { slug, province } = pickType(rnd, region, holder, k);
  const type = credentialTypeBySlug(slug);
  const issuer = authorityFor(province, type);

  const status = rnd.weighted<StatusCode>([
    ['01', 80],
    ['02', 5],
    ['03', 4],
    ['04', 3],
    ['05', 6],
    ['07', 2],
  ]);
  let issueDate = rnd.date('2014-01-01', '2025-12-31');
  let years = validityYears(slug, holder, issueDate);
  let expiryDate = years === null ? null : addYears(issueDate, years);
  if (status === '05') {
    // An expired credential must actually have passed its expiry date.
    years ??= 5;
    expiryDate = rnd.date('2019-01-01', '2025-12-31');
    issueDate = addYears(expiryDate, -years);
  }
  const { number, face } = faceOf(rnd, slug, holder, province, issueDate);
  if (slug === 'e-vehicle-licence') face.plateNumber = number;
  const serial = `${issueDate.slice(0, 4)}${String(k).padStart(8, '0')}`;
  const areaCode = holder.province.code === province.code ? holder.city.code : rnd.pick(province.cities).code;

  return {
    id: buildLicenceId({ typeCode: type.code, issuerCode: issuer.code, serial, version: '001' }),
    typeCode: type.code,
    serial,
    version: 1,
    number,
    name: type.nameZh,
    issuerCode: issuer.code,
    issuerName: issuer.name,
    issueDate,
    effectiveDate: issueDate,
    expiryDate,
    areaCode,
    holderName: holder.name,
    holderCode: holder.code,
    holderType: holder.kind === 'citizen' ? '111' : '001',
    status: status === '07' && slug !== 'e-driving-licence' ? '03' : status,
    face,
  };
}
