/**
 * Development identities for trying Hutong: a holder with credentials in every region, a Shandong
 * resident, a Zhejiang company, a company holding an e-seal in each region, every seeded verifier
 * (a region's own from its recognition.json), an issuer per region and a Zhejiang one, a rule
 * officer per region and one of the national rule office, an analyst and an admin. `npm run tokens` signs a token
 * for each with the local development key; the README's examples use them by name.
 */
import { NATIONAL } from '../subgraphs/kit/auth/caller.js';
import type { ClientTokenClaims } from '../subgraphs/kit/auth/client-tokens.js';
import { makeUscc } from '../subgraphs/kit/identifiers/index.js';
import { Random } from '../subgraphs/kit/seed/random.js';
import { credentialTypeBySlug, provinceByCode, regions } from '../subgraphs/kit/reference.js';
import { authorityFor, moverAt, seedCredential } from '../subgraphs/kit/seed/credentials.js';
import { verifiers } from '../subgraphs/recognition/seed.js';
import { parseLicenceId } from '../subgraphs/kit/identifiers/licence-id.js';
import { effectiveStatus } from '../subgraphs/kit/registry/status.js';

/** The first credential of a region's default seed that fits, so an identity always has something to present. */
function firstSeeded(regionCode: string, fits: (c: ReturnType<typeof seedCredential>) => boolean) {
  const region = regions.find((r) => r.code === regionCode)!;
  for (let k = 0; k < 200; k++) {
    const c = seedCredential(region, k);
    if (fits(c)) return c;
  }
  throw new Error(`the default seed of ${regionCode} holds no such credential`);
}

export interface DevIdentity {
  name: string;
  description: string;
  claims: ClientTokenClaims;
}

const verifierNames: Record<string, string> = {
  '上海市公安局交通警察总队': 'verifier-shanghai-traffic-police',
  '江苏省公安厅交通警察总队': 'verifier-jiangsu-traffic-police',
  '浙江省公安厅交通警察总队': 'verifier-zhejiang-traffic-police',
  '安徽省公安厅交通警察总队': 'verifier-anhui-traffic-police',
  '上海外滩江景酒店有限公司': 'verifier-shanghai-hotel',
  '南京玄武湖畔宾馆有限公司': 'verifier-nanjing-hotel',
  '重庆图书馆': 'verifier-chongqing-library',
  '四川省图书馆': 'verifier-sichuan-library',
  '重庆安居房屋中介有限公司': 'verifier-chongqing-rental-agency',
  '浙江省财政厅': 'verifier-zhejiang-finance',
  '济南市政务服务中心': 'verifier-jinan-service-hall',
  '山东省公安厅交通警察总队': 'verifier-shandong-traffic-police',
};

export function devIdentities(): DevIdentity[] {
  const mover = moverAt(0);
  const shandongResident = seedCredential(regions.find((r) => r.code === 'shandong')!, 1);
  // A Zhejiang company with a valid e-business licence: the holder in the subsidy payout scenario.
  const zhejiangCompany = firstSeeded(
    'yangtze-delta',
    (c) =>
      c.typeCode === credentialTypeBySlug('e-business-licence').code &&
      c.holderType === '001' &&
      (() => {
        const parsed = parseLicenceId(c.id);
        return parsed.ok && parsed.parts.provinceCode === '33';
      })() &&
      effectiveStatus(c.status, c.expiryDate) === 'VALID',
  );
  // Per region, from the regions file: a company with a valid e-seal (the online filing scenario).
  const companies = regions.map((region): DevIdentity => {
    const company = firstSeeded(region.code, (c) => c.typeCode === credentialTypeBySlug('e-seal').code && effectiveStatus(c.status, c.expiryDate) === 'VALID');
    return {
      name: `holder-${region.code}-company`,
      description: `${company.holderName}, a company in ${region.name} holding an e-seal`,
      claims: { sub: `holder-${company.holderCode}`, role: 'holder', holder_code: company.holderCode },
    };
  });
  const issuerOf = (regionCode: string, province: string): DevIdentity => {
    const authority = authorityFor(provinceByCode(province)!, credentialTypeBySlug('e-id'));
    return {
      name: `issuer-${regionCode}`,
      description: `${authority.name}, issuer in ${regionCode}`,
      claims: { sub: `issuer-${authority.code}`, role: 'issuer', region: regionCode, org: authority.code, org_name: authority.name },
    };
  };
  // The authority's code made as a registered verifier's is (seeded by its name, in its first
  // city), so an office that also verifies (河北省政务服务管理办公室) has one code everywhere.
  const ruleOfficer = (name: string, scope: string, organisation: string, division: string): DevIdentity => {
    const org = makeUscc('1', '1', division, 'HW' + new Random(`verifier:${organisation}`).digits(6));
    return {
      name,
      description: `${organisation}, rule officer for ${scope === NATIONAL ? 'national rules' : scope}`,
      claims: { sub: `rule-officer-${org}`, role: 'rule-officer', region: scope, org, org_name: organisation },
    };
  };
  const ruleOfficers = [
    ...regions.map((r) => {
      const province = r.provinces[0]!;
      return ruleOfficer(`rule-officer-${r.code}`, r.code, `${province.nameZh}政务服务管理办公室`, province.cities[0]!.code);
    }),
    ruleOfficer('rule-officer-national', NATIONAL, '国务院办公厅电子政务办公室', '100000'),
  ];
  return [
    {
      name: 'holder',
      description: `${mover.name}, holds credentials in every region`,
      claims: { sub: 'holder-mover-0', role: 'holder', holder_code: mover.code },
    },
    {
      name: 'holder-shandong',
      description: `${shandongResident.holderName}, a Shandong resident`,
      claims: { sub: 'holder-shandong-1', role: 'holder', holder_code: shandongResident.holderCode },
    },
    {
      name: 'holder-zhejiang-company',
      description: `${zhejiangCompany.holderName}, a Zhejiang company holding an e-business licence`,
      claims: { sub: `holder-${zhejiangCompany.holderCode}`, role: 'holder', holder_code: zhejiangCompany.holderCode },
    },
    ...companies,
    ...verifiers.map((v) => ({
      name: v.identity ?? verifierNames[v.name] ?? `verifier-${v.organisation}`,
      description: `${v.name} (${v.region}, ${v.scenarios.join(', ')})`,
      claims: { sub: `operator-of-${v.organisation}`, role: 'verifier' as const, region: v.region, org: v.organisation, org_name: v.name, scenarios: v.scenarios },
    })),
    ...regions.slice(0, 1).map((r) => issuerOf(r.code, r.provinceCodes[0]!)),
    {
      // The authority that issued the Zhejiang company's licence: it may suspend, correct or revoke it.
      name: 'issuer-zhejiang',
      description: `${zhejiangCompany.issuerName}, issuer in yangtze-delta (Zhejiang)`,
      claims: { sub: `issuer-${zhejiangCompany.issuerCode}`, role: 'issuer', region: 'yangtze-delta', org: zhejiangCompany.issuerCode, org_name: zhejiangCompany.issuerName },
    },
    ...regions.slice(1).map((r) => issuerOf(r.code, r.provinceCodes[0]!)),
    ...ruleOfficers,
    { name: 'analyst', description: 'an analyst (aggregates only)', claims: { sub: 'analyst-1', role: 'analyst' } },
    { name: 'admin', description: 'an auditor/administrator', claims: { sub: 'admin-1', role: 'admin' } },
  ];
}

export function devIdentity(name: string): DevIdentity {
  const found = devIdentities().find((i) => i.name === name);
  if (!found) throw new Error(`no development identity ${name}`);
  return found;
}
