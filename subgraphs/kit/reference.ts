/**
 * National reference data every subgraph agrees on: provinces, the regions that run a registry in
 * Hutong, and the national catalogue of credential types (GB/T 36902 style). Authority codes here
 * are generated for Hutong and carry valid GB 32100 check characters; they are not real codes.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { makeUscc } from './identifiers/index.js';
import { readRegionsFile } from './regions-file.js';

export type HolderTypeCode = '111' | '001';

export interface City {
  /** 6-digit administrative division code. */
  code: string;
  nameZh: string;
}

export interface Province {
  /** 2-digit province code: the first two digits of every division code in it. */
  code: string;
  name: string;
  nameZh: string;
  /** One-character abbreviation used on plates and certificates (沪, 苏 …). */
  short: string;
  /** The province's government-service app that shows its e-licences. */
  app: string;
  cities: City[];
}

export interface Region {
  /** Stable code, also the subgraph name and folder (`subgraphs/<code>`). */
  code: string;
  name: string;
  nameZh: string;
  /** Prefix of the region's GraphQL types: `<prefix>Credential`, `<prefix>Region`. */
  typePrefix: string;
  provinceCodes: string[];
  provinces: Province[];
  /** Where the registry is reached by default (the committed supergraph's URL is `<url>/graphql`). */
  url: string;
  /** The URL's port: where `npm start` runs the registry. */
  defaultPort: number;
}

/** A national issuer (division 100000) whose credentials one region's registry keeps. */
export interface NationalIssuer {
  issuerCode: string;
  name: string;
  region: string;
}

/** Where the regions file is: `subgraphs/regions.json` unless `HUTONG_REGIONS_FILE` names another. */
export const regionsFilePath = process.env.HUTONG_REGIONS_FILE ?? fileURLToPath(new URL('../regions.json', import.meta.url));
const regionsDocument = readRegionsFile(regionsFilePath);

/** Every region that runs a registry in Hutong, from the regions file. */
export const regions: Region[] = regionsDocument.regions.map((r) => ({
  code: r.code,
  name: r.name,
  nameZh: r.nameZh,
  typePrefix: r.typePrefix,
  provinceCodes: r.provinces.map((p) => p.code),
  provinces: r.provinces,
  url: r.url.replace(/\/+$/, ''),
  defaultPort: Number(new URL(r.url).port),
}));

/** The provinces with a registry in Hutong. */
export const provinces: Province[] = regions.flatMap((r) => r.provinces);

export const nationalIssuers: NationalIssuer[] = regionsDocument.nationalIssuers.map(({ issuerCode, name, region }) => ({ issuerCode, name, region }));

/** The national province table (all 31 mainland provinces), read like the regions file. */
const provinceTable = JSON.parse(readFileSync(fileURLToPath(new URL('./provinces.json', import.meta.url)), 'utf8')) as { provinces: Province[] };

/** Province names for codes that have no registry in Hutong yet, so errors can name them. */
export const otherProvinceNames: Record<string, string> = {
  '10': 'national authorities',
  ...Object.fromEntries(provinceTable.provinces.map((p) => [p.code, p.name])),
};

export const catalogueSubgraph = { name: 'catalogue', defaultPort: 4001 } as const;
export const recognitionSubgraph = { name: 'recognition', defaultPort: 4005 } as const;
export const gatewayDefaultPort = 4000;

/** Every service with an identity (and a key pair) of its own: the gateway and each subgraph. */
export const serviceNames = (): string[] => ['gateway', catalogueSubgraph.name, recognitionSubgraph.name, ...regions.map((r) => r.code)];

/** A province by code: as its region's entry gives it, or from the national table when it has no registry. */
export function provinceByCode(code: string): Province | undefined {
  return provinces.find((p) => p.code === code) ?? provinceTable.provinces.find((p) => p.code === code);
}

export function regionByCode(code: string): Region | undefined {
  return regions.find((r) => r.code === code);
}

export function regionOfProvince(provinceCode: string): Region | undefined {
  return regions.find((r) => r.provinceCodes.includes(provinceCode));
}

/**
 * The region whose registry keeps the credentials of an issuer: a national issuer's as the
 * regions file says, any other's by the province of its division code.
 */
export function regionOfIssuer(issuerCode: string, provinceCode: string): Region | undefined {
  const national = nationalIssuers.find((n) => n.issuerCode === issuerCode);
  return national ? regionByCode(national.region) : regionOfProvince(provinceCode);
}

export function provinceName(code: string): string {
  return provinceByCode(code)?.name ?? otherProvinceNames[code] ?? `unknown province ${code}`;
}

// ---------------------------------------------------------------------------------------------
// National credential type catalogue

export interface FaceFieldDefinition {
  key: string;
  label: string;
  labelZh: string;
}

export interface CredentialType {
  /** GB/T 36904 type code: the defining authority's USCC + a 3-digit sequence (21 chars). */
  code: string;
  /** Short stable name used in code, seeds and rules. */
  slug: string;
  name: string;
  nameZh: string;
  holderType: HolderTypeCode;
  definingAuthority: string;
  /** Type-specific face fields (the GB/T 36903 extension part). */
  faceFields: FaceFieldDefinition[];
}

/** Generated national authorities (division 100000); their org-code bodies are Hutong's own. */
const authority = (body: string) => makeUscc('1', '1', '100000', body);
const MPS = { name: '公安部', uscc: authority('HT000001') };
const MOHRSS = { name: '人力资源和社会保障部', uscc: authority('HT000002') };
const MNR = { name: '自然资源部', uscc: authority('HT000003') };
const SAMR = { name: '国家市场监督管理总局', uscc: authority('HT000004') };
const MOT = { name: '交通运输部', uscc: authority('HT000005') };

const f = (key: string, label: string, labelZh: string): FaceFieldDefinition => ({ key, label, labelZh });

function type(
  owner: { name: string; uscc: string },
  seq: string,
  slug: string,
  name: string,
  nameZh: string,
  holderType: HolderTypeCode,
  faceFields: FaceFieldDefinition[],
): CredentialType {
  return { code: owner.uscc + seq, slug, name, nameZh, holderType, definingAuthority: owner.name, faceFields };
}

export const credentialTypes: CredentialType[] = [
  type(MPS, '001', 'e-id', 'Electronic resident identity card', '电子居民身份证', '111', [
    f('sex', 'Sex', '性别'), f('ethnicity', 'Ethnicity', '民族'), f('birthDate', 'Date of birth', '出生日期'),
    f('address', 'Address', '住址')]),
  type(MPS, '002', 'e-driving-licence', 'Electronic driving licence', '电子驾驶证', '111', [
    f('licenceClass', 'Permitted vehicle class', '准驾车型'), f('firstIssueDate', 'First issued', '初次领证日期'),
    f('archiveNumber', 'Archive number', '档案编号')]),
  type(MPS, '003', 'e-vehicle-licence', 'Electronic vehicle licence', '电子行驶证', '111', [
    f('plateNumber', 'Plate number', '号牌号码'), f('vehicleType', 'Vehicle type', '车辆类型'),
    f('vin', 'Vehicle identification number', '车辆识别代号')]),
  type(MPS, '004', 'e-seal', 'Electronic seal', '电子印章', '001', [
    f('sealName', 'Seal name', '印章名称'), f('sealType', 'Seal type', '印章类型')]),
  type(MOHRSS, '001', 'e-social-security-card', 'Electronic social security card', '电子社会保障卡', '111', [
    f('cardSerial', 'Card serial', '卡号'), f('issuingBank', 'Issuing bank', '发卡银行')]),
  type(MNR, '001', 'e-real-estate-certificate', 'Electronic real estate certificate', '电子不动产权证书', '111', [
    f('location', 'Property location', '坐落'), f('floorArea', 'Floor area (m²)', '面积'),
    f('use', 'Use', '用途'), f('rightType', 'Right type', '权利类型')]),
  type(SAMR, '001', 'e-business-licence', 'Electronic business licence', '电子营业执照', '001', [
    f('legalRepresentative', 'Legal representative', '法定代表人'), f('entityType', 'Entity type', '类型'),
    f('registeredCapital', 'Registered capital', '注册资本'), f('establishedDate', 'Established', '成立日期')]),
  type(MOT, '001', 'e-road-transport-permit', 'Electronic road transport permit', '电子道路运输证', '001', [
    f('plateNumber', 'Plate number', '车辆号牌'), f('businessScope', 'Business scope', '经营范围')]),
];

export function credentialTypeByCode(code: string): CredentialType | undefined {
  return credentialTypes.find((t) => t.code === code);
}

export function credentialTypeBySlug(slug: string): CredentialType {
  const t = credentialTypes.find((c) => c.slug === slug);
  if (!t) throw new Error(`unknown credential type ${slug}`);
  return t;
}

// ---------------------------------------------------------------------------------------------
// Status codes (as in a ministry feed) and holder types, with their GraphQL enum names

export const statusCodes = {
  '01': 'VALID',
  '02': 'SUSPENDED',
  '03': 'REVOKED',
  '04': 'CANCELLED',
  '05': 'EXPIRED',
  '06': 'TRANSFERRED_OUT',
  '07': 'REVOKED_AS_PENALTY',
  '99': 'OTHER',
} as const;
export type StatusCode = keyof typeof statusCodes;
export type CredentialStatus = (typeof statusCodes)[StatusCode];

export const holderTypes = { '111': 'CITIZEN', '001': 'ORGANISATION' } as const;
