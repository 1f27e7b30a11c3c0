import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignJWT } from 'jose';
import { startStack, type Stack } from '../support/stack.js';
import { devIdentity } from '../../scripts/dev-identities.js';
import { qrSvg } from '../../subgraphs/recognition/codes.js';
import {
  contextFor,
  holderToken,
  present,
  presentAndVerify,
  provinceOf,
  seeded,
  verifierNamed,
  verifierToken,
  verify,
  VERIFY,
} from '../support/verification.js';

const SEED = 400;
let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ seedCount: SEED });
});
afterAll(async () => {
  await stack?.stop();
});

const shanghaiPolice = verifierNamed('上海市公安局交通警察总队');
const jiangsuPolice = verifierNamed('江苏省公安厅交通警察总队');
const anhuiPolice = verifierNamed('安徽省公安厅交通警察总队');
const zhejiangPolice = verifierNamed('浙江省公安厅交通警察总队');
const shandongPolice = verifierNamed('山东省公安厅交通警察总队');
const shanghaiHotel = verifierNamed('上海外滩江景酒店有限公司');
const nanjingHotel = verifierNamed('南京玄武湖畔宾馆有限公司');
const chongqingLibrary = verifierNamed('重庆图书馆');
const sichuanLibrary = verifierNamed('四川省图书馆');
const chongqingAgency = verifierNamed('重庆安居房屋中介有限公司');
const zhejiangFinance = verifierNamed('浙江省财政厅');
const jinanHall = verifierNamed('济南市政务服务中心');
const hebeiFilingOffice = verifierNamed('河北省政务服务管理办公室');

const released = (v: { releasedFields: { field: string; value: string | null }[] }) =>
  Object.fromEntries(v.releasedFields.map((f) => [f.field, f.value]));

describe('seeded scenarios, accepted across provinces', () => {
  it.each([
    ['a Jiangsu e-driving licence at a Shanghai traffic check', '32', shanghaiPolice],
    ['a Shanghai e-driving licence at a Jiangsu traffic check', '31', jiangsuPolice],
  ])('accepts %s', async (_label, province, police) => {
    const licence = seeded('yangtze-delta', SEED, { type: 'e-driving-licence', province });
    const v = await presentAndVerify(stack, licence, police, 'traffic-check');
    expect(v).toMatchObject({ verdict: 'ACCEPTED', reasons: [], ruleId: 'yrd-traffic-driving-licence', ruleVersion: 1, disputed: false });
    expect(released(v)).toMatchObject({ holderName: licence.holderName, 'face.licenceClass': licence.face.licenceClass });
    // Only what the rule releases: no ID number, no address, no issuer internals.
    expect(v.releasedFields.map((f: { field: string }) => f.field).sort()).toEqual(['expiryDate', 'face.licenceClass', 'holderName', 'number']);
    expect(released(v).number).not.toBe(licence.number);
    expect(JSON.stringify(v)).not.toContain(licence.holderCode);
  });

  it.each([
    ['a Zhejiang e-vehicle licence at an Anhui traffic check', '33', anhuiPolice],
    ['an Anhui e-vehicle licence at a Zhejiang traffic check', '34', zhejiangPolice],
  ])('accepts %s', async (_label, province, police) => {
    const licence = seeded('yangtze-delta', SEED, { type: 'e-vehicle-licence', province });
    const v = await presentAndVerify(stack, licence, police, 'traffic-check');
    expect(v).toMatchObject({ verdict: 'ACCEPTED', ruleId: 'yrd-traffic-vehicle-licence' });
    expect(released(v)['face.plateNumber']).toBe(licence.face.plateNumber);
  });

  it.each([
    ['a Shanghai e-ID at a Nanjing hotel', '31', nanjingHotel],
    ['a Jiangsu e-ID at a Shanghai hotel', '32', shanghaiHotel],
  ])('accepts %s, releasing the ID number for police registration', async (_label, province, hotel) => {
    const eid = seeded('yangtze-delta', SEED, { type: 'e-id', province });
    const v = await presentAndVerify(stack, eid, hotel, 'hotel-check-in');
    expect(v).toMatchObject({ verdict: 'ACCEPTED', ruleId: 'yrd-hotel-e-id' });
    expect(v.releasedFields).toContainEqual(expect.objectContaining({ field: 'holderCode', value: eid.holderCode, retain: true }));
  });

  it.each([
    ['a Chongqing e-social-security card at the Sichuan library', '50', sichuanLibrary],
    ['a Sichuan e-social-security card at the Chongqing library', '51', chongqingLibrary],
  ])('accepts %s', async (_label, province, library) => {
    const card = seeded('chengdu-chongqing', SEED, { type: 'e-social-security-card', province });
    const v = await presentAndVerify(stack, card, library, 'library-entry');
    expect(v).toMatchObject({ verdict: 'ACCEPTED', ruleId: 'cc-library-social-security-card' });
    expect(released(v)).toEqual({ holderName: card.holderName, 'face.cardSerial': card.face.cardSerial });
  });

  it('accepts a Chongqing e-real-estate certificate at a Chongqing rental agency', async () => {
    const cert = seeded('chengdu-chongqing', SEED, { type: 'e-real-estate-certificate', province: '50' });
    const v = await presentAndVerify(stack, cert, chongqingAgency, 'flat-rental');
    expect(v).toMatchObject({ verdict: 'ACCEPTED', ruleId: 'cq-rental-real-estate' });
    expect(released(v)['face.location']).toBe(cert.face.location);
  });

  it('plays the subsidy payout with the development identities `npm run tokens` offers: the Zhejiang company presents, Zhejiang finance verifies, the Zhejiang issuer reads it', async () => {
    const company = await stack.token(devIdentity('holder-zhejiang-company').claims);
    const listed = await stack.query('query($code: ID!) { holder(code: $code) { credentials { nodes { id type { slug } } } } }', { code: devIdentity('holder-zhejiang-company').claims.holder_code }, { token: company });
    const licence = listed.body.data.holder.credentials.nodes.find((c: { type: { slug: string } }) => c.type.slug === 'e-business-licence');
    expect(licence).toBeDefined();
    const presented = await stack.query(
      'mutation($id: ID!) { createPresentationCode(credentialId: $id, scenario: "subsidy-payout") { code } }',
      { id: licence.id },
      { token: company },
    );
    expect(presented.body.errors).toBeUndefined();
    const finance = devIdentity('verifier-zhejiang-finance');
    const checked = await stack.query(
      VERIFY,
      { input: { code: presented.body.data.createPresentationCode.code, scenario: 'subsidy-payout', context: contextFor(zhejiangFinance, 'subsidy-payout') } },
      { token: await stack.token(finance.claims) },
    );
    expect(checked.body.data.verifyPresentation).toMatchObject({ verdict: 'ACCEPTED', ruleId: 'zj-subsidy-business-licence' });
    const issuer = await stack.query('query($id: ID!) { credential(id: $id) { id status issuerName } }', { id: licence.id }, { token: await stack.token(devIdentity('issuer-zhejiang').claims) });
    expect(issuer.body.errors).toBeUndefined();
    expect(issuer.body.data.credential).toMatchObject({ id: licence.id, status: 'VALID', issuerName: '浙江省市场监督管理局' });
  });

  it('plays the Hebei online filing with an e-seal from 冀时办, with the identities `npm run tokens` offers: the Hebei company presents its seal, the Hebei filing office accepts it and keeps the owner', async () => {
    const company = devIdentity('holder-hebei-company');
    const token = await stack.token(company.claims);
    const listed = await stack.query('query($code: ID!) { holder(code: $code) { credentials { nodes { id type { slug } issuingRegion { code } } } } }', { code: company.claims.holder_code }, { token });
    const seal = listed.body.data.holder.credentials.nodes.find((c: { type: { slug: string } }) => c.type.slug === 'e-seal');
    expect(seal.issuingRegion.code).toBe('hebei');
    const presented = await stack.query('mutation($id: ID!) { createPresentationCode(credentialId: $id, scenario: "online-filing") { code } }', { id: seal.id }, { token });
    expect(presented.body.errors).toBeUndefined();
    const office = devIdentity('verifier-hebei-online-filing');
    expect(office.claims.org).toBe(hebeiFilingOffice.organisation);
    const checked = await stack.query(
      VERIFY,
      { input: { code: presented.body.data.createPresentationCode.code, scenario: 'online-filing', context: contextFor(hebeiFilingOffice, 'online-filing') } },
      { token: await stack.token(office.claims) },
    );
    expect(checked.body.errors).toBeUndefined();
    const v = checked.body.data.verifyPresentation;
    expect(v).toMatchObject({ verdict: 'ACCEPTED', ruleId: 'hb-online-filing-e-seal', ruleVersion: 1, issuingRegion: { code: 'hebei' }, usageRecorded: true });
    expect(v.releasedFields.map((f: { field: string; retain: boolean }) => [f.field, f.retain])).toEqual([
      ['holderName', true], ['holderCode', true], ['face.sealName', true], ['face.sealType', false],
    ]);
    expect(released(v).holderName).toBe('唐山华信贸易有限公司');
    expect(released(v).holderCode).toBe(company.claims.holder_code);
    // What a counter shows: the type presented, and each field's Chinese name and whether it is masked.
    const shown = await stack.query('query($id: ID!) { verification(id: $id) { credentialType { slug nameZh } releasedFields { field labelZh masked } } }', { id: v.id }, { token: await stack.token(office.claims) });
    expect(shown.body.data.verification).toEqual({
      credentialType: { slug: 'e-seal', nameZh: '电子印章' },
      releasedFields: [
        { field: 'holderName', labelZh: '持证主体', masked: false },
        { field: 'holderCode', labelZh: '持证主体代码', masked: false },
        { field: 'face.sealName', labelZh: '印章名称', masked: false },
        { field: 'face.sealType', labelZh: '印章类型', masked: false },
      ],
    });
    // The company sees who used its seal, for what.
    const records = await stack.query('query($id: ID!) { credential(id: $id) { usageRecords { nodes { verifierName scenario { code } verdict } } } }', { id: seal.id }, { token });
    expect(records.body.data.credential.usageRecords.nodes).toContainEqual({ verifierName: '河北省政务服务管理办公室', scenario: { code: 'online-filing' }, verdict: 'ACCEPTED' });
  });

  it('does not recognise another province’s e-seal for a Hebei online filing: Hebei’s rule accepts seals issued in Hebei only', async () => {
    const seal = seeded('shandong', SEED, { type: 'e-seal', province: '37' });
    const v = await presentAndVerify(stack, seal, hebeiFilingOffice, 'online-filing');
    expect(v).toMatchObject({ verdict: 'NOT_RECOGNISED', ruleId: null, releasedFields: [] });
  });

  it('tells each caller who it is with `me`, so an app fills the usage context without decoding its token', async () => {
    const ME = '{ me { role subject holderCode organisation organisationName region scenarios { code serviceItemCode } } }';
    const anonymousMe = await stack.query(ME);
    expect(anonymousMe.body.data.me).toEqual({ role: 'anonymous', subject: null, holderCode: null, organisation: null, organisationName: null, region: null, scenarios: [] });
    const office = devIdentity('verifier-hebei-online-filing');
    const officeMe = await stack.query(ME, undefined, { token: await stack.token(office.claims) });
    expect(officeMe.body.data.me).toEqual({
      role: 'verifier', subject: office.claims.sub, holderCode: null, organisation: hebeiFilingOffice.organisation,
      organisationName: '河北省政务服务管理办公室', region: 'hebei', scenarios: [{ code: 'online-filing', serviceItemCode: 'HT-BA-0001' }],
    });
    // A scenario the token lists but the organisation is not registered for is not offered.
    const police = await stack.query(ME, undefined, { token: await verifierToken(stack, { ...shanghaiPolice, scenarios: ['traffic-check', 'hotel-check-in'] }) });
    expect(police.body.data.me.scenarios).toEqual([{ code: 'traffic-check', serviceItemCode: 'HT-JT-0001' }]);
    const company = devIdentity('holder-hebei-company');
    const holderMe = await stack.query(ME, undefined, { token: await stack.token(company.claims) });
    expect(holderMe.body.data.me).toMatchObject({ role: 'holder', holderCode: company.claims.holder_code, organisation: null, scenarios: [] });
  });

  it('tells the holder, when presenting, that verifiers will reject an expired or suspended credential, and says nothing for a valid one', async () => {
    const PRESENT = 'mutation($id: ID!) { createPresentationCode(credentialId: $id) { credentialStatus warning } }';
    const presentAs = async (c: { id: string; holderCode: string }) => (await stack.query(PRESENT, { id: c.id }, { token: await holderToken(stack, c.holderCode) })).body;
    const valid = seeded('yangtze-delta', SEED, { type: 'e-driving-licence' });
    expect((await presentAs(valid)).data.createPresentationCode).toEqual({ credentialStatus: 'VALID', warning: null });
    const expired = seeded('yangtze-delta', SEED, { type: 'e-driving-licence', status: 'EXPIRED' });
    expect((await presentAs(expired)).data.createPresentationCode).toEqual({
      credentialStatus: 'EXPIRED',
      warning: 'This credential has expired: most scenarios reject it; only those whose rules accept expired credentials will not.',
    });
    const suspended = seeded('yangtze-delta', SEED, { type: 'e-driving-licence', status: 'SUSPENDED' });
    expect((await presentAs(suspended)).data.createPresentationCode).toEqual({
      credentialStatus: 'SUSPENDED',
      warning: 'This credential is suspended (暂扣): verifiers reject it until its issuer restores it.',
    });
  });

  it('accepts a Zhejiang e-business licence for a subsidy payout', async () => {
    const licence = seeded('yangtze-delta', SEED, { type: 'e-business-licence', province: '33' });
    const v = await presentAndVerify(stack, licence, zhejiangFinance, 'subsidy-payout');
    expect(v).toMatchObject({ verdict: 'ACCEPTED', ruleId: 'zj-subsidy-business-licence' });
    expect(released(v).holderCode).toBe(licence.holderCode);
  });

  it('accepts a Shandong e-ID at a Shandong service hall, with the ID number masked', async () => {
    const eid = seeded('shandong', SEED, { type: 'e-id', province: '37' });
    const v = await presentAndVerify(stack, eid, jinanHall, 'service-hall-visit');
    expect(v).toMatchObject({ verdict: 'ACCEPTED', ruleId: 'sd-service-hall-e-id' });
    expect(released(v).holderCode).toBe(`${eid.holderCode.slice(0, 4)}${'*'.repeat(10)}${eid.holderCode.slice(-4)}`);
  });

  it('accepts a Sichuan e-driving licence at a Shandong traffic check under the national rule', async () => {
    const licence = seeded('chengdu-chongqing', SEED, { type: 'e-driving-licence', province: '51' });
    const v = await presentAndVerify(stack, licence, shandongPolice, 'traffic-check');
    expect(v).toMatchObject({ verdict: 'ACCEPTED', ruleId: 'national-traffic-driving-licence' });
  });

  it('prefers the regional rule over the national one and says so in the trace', async () => {
    const licence = seeded('yangtze-delta', SEED, { type: 'e-driving-licence', province: '32' }, 1);
    const v = await presentAndVerify(stack, licence, shanghaiPolice, 'traffic-check');
    expect(v.ruleId).toBe('yrd-traffic-driving-licence');
    expect(v.trace).toContainEqual(expect.objectContaining({ ruleId: 'yrd-traffic-driving-licence', kind: 'ACCEPTANCE', applied: true }));
    expect(v.trace).toContainEqual(
      expect.objectContaining({ ruleId: 'national-traffic-driving-licence', applied: false, detail: expect.stringContaining('more specific') }),
    );
  });
});

describe('verdicts that are not acceptance', () => {
  it('does not recognise a Shandong e-ID at a Yangtze Delta hotel (no rule)', async () => {
    const eid = seeded('shandong', SEED, { type: 'e-id', province: '37' }, 1);
    const v = await presentAndVerify(stack, eid, shanghaiHotel, 'hotel-check-in');
    expect(v).toMatchObject({ verdict: 'NOT_RECOGNISED', reasons: ['NO_RULE'], ruleId: null, releasedFields: [] });
    expect(v.trace.find((t: { ruleId: string }) => t.ruleId === 'yrd-hotel-e-id')).toMatchObject({ applied: false });
  });

  it('does not recognise a Sichuan e-real-estate certificate at a Chongqing rental agency', async () => {
    const cert = seeded('chengdu-chongqing', SEED, { type: 'e-real-estate-certificate', province: '51' });
    const v = await presentAndVerify(stack, cert, chongqingAgency, 'flat-rental');
    expect(v.verdict).toBe('NOT_RECOGNISED');
  });

  it('rejects a suspended licence, with the issuer’s invalidation rule in the trace and no fields released', async () => {
    const licence = seeded('yangtze-delta', SEED, { type: 'e-driving-licence', status: 'SUSPENDED' });
    const police = provinceOf(licence).province === '31' ? jiangsuPolice : shanghaiPolice;
    const v = await presentAndVerify(stack, licence, police, 'traffic-check');
    expect(v).toMatchObject({ verdict: 'REJECTED', releasedFields: [] });
    expect(v.reasons).toEqual(['SUSPENDED', 'INVALIDATED_BY_ISSUER']);
    expect(v.trace).toContainEqual(expect.objectContaining({ ruleId: 'yrd-suspended-driving-licence', kind: 'INVALIDATION', applied: true }));
  });

  it('rejects an expired credential', async () => {
    const eid = seeded('yangtze-delta', SEED, { type: 'e-id', status: 'EXPIRED', province: '32' });
    const v = await presentAndVerify(stack, eid, shanghaiHotel, 'hotel-check-in');
    expect(v).toMatchObject({ verdict: 'REJECTED', releasedFields: [] });
    expect(v.reasons).toContain('EXPIRED');
  });
});

describe('presentation codes', () => {
  const licence = () => seeded('yangtze-delta', SEED, { type: 'e-driving-licence', province: '32' }, 2);

  it('come with a QR image and carry no personal data', async () => {
    const c = licence();
    const { body } = await stack.query(
      `mutation($id: ID!) { createPresentationCode(credentialId: $id, validForMinutes: 3) { code qrSvg expiresAt credentialId } }`,
      { id: c.id },
      { token: await holderToken(stack, c.holderCode) },
    );
    const p = body.data.createPresentationCode;
    expect(p.qrSvg).toMatch(/^<svg[\s\S]*<\/svg>\s*$/);
    // Drawn on request from this very code (the drawing itself: test/unit/presentation-codes.test.ts).
    expect(p.qrSvg).toBe(await qrSvg(p.code));
    const payload = Buffer.from(p.code.split('.')[1], 'base64url').toString();
    expect(payload).not.toContain(c.holderCode);
    expect(payload).not.toContain(c.id);
    const minutes = (Date.parse(p.expiresAt) - Date.now()) / 60_000;
    expect(minutes).toBeGreaterThan(2.5);
    expect(minutes).toBeLessThanOrEqual(3);
  });

  it('can be used once only', async () => {
    const code = await present(stack, licence(), 'traffic-check');
    expect((await verify(stack, shanghaiPolice, code, 'traffic-check')).body.errors).toBeUndefined();
    const again = await verify(stack, shanghaiPolice, code, 'traffic-check');
    expect(again.body.errors[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', reason: 'PRESENTATION_CODE_USED' } });
  });

  it('refuse an altered code', async () => {
    const code = await present(stack, licence(), 'traffic-check');
    const [h, p, s] = code.split('.');
    const payload = JSON.parse(Buffer.from(p!, 'base64url').toString());
    const altered = [h, Buffer.from(JSON.stringify({ ...payload, exp: payload.exp + 3600 })).toString('base64url'), s].join('.');
    const { body } = await verify(stack, shanghaiPolice, altered, 'traffic-check');
    expect(body.errors[0].extensions.reason).toBe('PRESENTATION_CODE_INVALID');
    expect(body.data).toBeNull();
  });

  it('refuse an expired code', async () => {
    const key = await stack.serviceKey('recognition');
    const expired = await new SignJWT({})
      .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'hutong-presentation+jwt' })
      .setIssuer('hutong-recognition').setJti('5d0f4c1e-0000-4000-8000-000000000000')
      .setIssuedAt(Math.floor(Date.now() / 1000) - 900).setExpirationTime(Math.floor(Date.now() / 1000) - 300)
      .sign(key.key);
    const { body } = await verify(stack, shanghaiPolice, expired, 'traffic-check');
    expect(body.errors[0].extensions.reason).toBe('PRESENTATION_CODE_EXPIRED');
  });

  it('refuse a code signed with another service’s key, even one in the internal key set', async () => {
    for (const service of ['shandong', 'gateway', 'catalogue']) {
      const key = await stack.serviceKey(service);
      const forged = await new SignJWT({})
        .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'hutong-presentation+jwt' })
        .setIssuer('hutong-recognition').setJti('5d0f4c1e-0000-4000-8000-000000000001')
        .setIssuedAt().setExpirationTime('5m')
        .sign(key.key);
      const { body } = await verify(stack, shanghaiPolice, forged, 'traffic-check');
      expect(body.errors[0].extensions.reason).toBe('PRESENTATION_CODE_INVALID');
      expect(body.data).toBeNull();
    }
  });

  it('refuse garbage without crashing', async () => {
    for (const code of ['', 'hello', 'a.b.c', "'; drop table presentation_code; --", 'x'.repeat(5000)]) {
      const { status, body } = await verify(stack, shanghaiPolice, code, 'traffic-check');
      expect(status).toBe(200);
      expect(body.errors[0].extensions.reason).toBe('PRESENTATION_CODE_INVALID');
    }
  });

  it('bound to a scenario cannot be used for another', async () => {
    const eid = seeded('yangtze-delta', SEED, { type: 'e-id', province: '32' }, 3);
    const code = await present(stack, eid, 'hotel-check-in');
    const { body } = await verify(stack, jiangsuPolice, code, 'traffic-check');
    expect(body.errors[0].extensions.reason).toBe('PRESENTATION_CODE_SCENARIO_MISMATCH');
  });

  it('can be created by the credential’s holder only', async () => {
    const c = licence();
    const other = seeded('shandong', SEED, { type: 'e-id' });
    const { body } = await stack.query(
      `mutation($id: ID!) { createPresentationCode(credentialId: $id) { code } }`,
      { id: c.id },
      { token: await holderToken(stack, other.holderCode) },
    );
    expect(body.errors[0].extensions.code).toBe('FORBIDDEN');
    const anonymous = await stack.query(`mutation($id: ID!) { createPresentationCode(credentialId: $id) { code } }`, { id: c.id });
    expect(anonymous.body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
  });
});

describe('verifiers', () => {
  it('are refused for a scenario they are not registered for', async () => {
    const licence = seeded('yangtze-delta', SEED, { type: 'e-driving-licence', province: '33' });
    const code = await present(stack, licence);
    const { body } = await verify(stack, shanghaiHotel, code, 'traffic-check');
    expect(body.errors[0].extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'SCENARIO_NOT_REGISTERED' });
    // The code was not spent on a refused request: the police can still use it.
    expect((await verify(stack, shanghaiPolice, code, 'traffic-check')).body.data.verifyPresentation.verdict).toBe('ACCEPTED');
  });

  it('must record their own organisation in the usage context', async () => {
    const licence = seeded('yangtze-delta', SEED, { type: 'e-driving-licence', province: '34' });
    const code = await present(stack, licence);
    const context = { ...contextFor(shanghaiPolice, 'traffic-check'), organisation: jiangsuPolice.organisation };
    const { body } = await stack.query(VERIFY, { input: { code, scenario: 'traffic-check', context } }, { token: await verifierToken(stack, shanghaiPolice) });
    expect(body.errors[0].extensions.reason).toBe('CONTEXT_ORGANISATION_MISMATCH');
  });

  it('see their own past verification with its trace, and not other verifiers’', async () => {
    const eid = seeded('yangtze-delta', SEED, { type: 'e-id', province: '31' }, 1);
    const v = await presentAndVerify(stack, eid, nanjingHotel, 'hotel-check-in');
    const query = `query($id: ID!) { verification(id: $id) { verdict ruleId trace { ruleId applied } } }`;
    const own = await stack.query(query, { id: v.id }, { token: await verifierToken(stack, nanjingHotel) });
    expect(own.body.data.verification).toMatchObject({ verdict: 'ACCEPTED', ruleId: 'yrd-hotel-e-id' });
    const other = await stack.query(query, { id: v.id }, { token: await verifierToken(stack, shanghaiHotel) });
    expect(other.body.errors[0].extensions.code).toBe('FORBIDDEN');
  });
});

describe('usage records (用证留痕)', () => {
  it('are written in the issuing region for every verification and listed to the holder', async () => {
    const eid = seeded('yangtze-delta', SEED, { type: 'e-id', province: '32' }, 2);
    const accepted = await presentAndVerify(stack, eid, shanghaiHotel, 'hotel-check-in');
    const refused = await presentAndVerify(stack, eid, jinanHall, 'service-hall-visit');
    expect(refused.verdict).toBe('NOT_RECOGNISED');

    const { body } = await stack.query(
      `query($id: ID!) { credential(id: $id) { usageRecords { nodes { id verifierName verifierOrganisation scenario { code } verdict releasedFields businessCaseNumber operator } } } }`,
      { id: eid.id },
      { token: await holderToken(stack, eid.holderCode) },
    );
    expect(body.errors).toBeUndefined();
    const records = body.data.credential.usageRecords.nodes;
    expect(records).toContainEqual(expect.objectContaining({ id: accepted.id, verifierName: shanghaiHotel.name, verdict: 'ACCEPTED', scenario: { code: 'hotel-check-in' } }));
    expect(records).toContainEqual(expect.objectContaining({ id: refused.id, verifierName: jinanHall.name, verdict: 'NOT_RECOGNISED', releasedFields: [] }));
  });

  it('are not shown to anyone else', async () => {
    const eid = seeded('yangtze-delta', SEED, { type: 'e-id', province: '32' }, 2);
    const other = seeded('shandong', SEED, { type: 'e-id' });
    const { body } = await stack.query(
      `query($id: ID!) { credential(id: $id) { usageRecords { nodes { id } } } }`,
      { id: eid.id },
      { token: await holderToken(stack, other.holderCode) },
    );
    expect(body.errors[0].extensions.code).toBe('FORBIDDEN');
  });
});

describe('when the issuing registry is down', () => {
  it('answers INDETERMINATE, keeps the usage record until the registry is back, and other regions keep working', async () => {
    const card = seeded('chengdu-chongqing', SEED, { type: 'e-social-security-card', province: '50' }, 1);
    const code = await present(stack, card, 'library-entry');
    await stack.stopSubgraph('chengdu-chongqing');
    try {
      const { body } = await verify(stack, sichuanLibrary, code, 'library-entry');
      expect(body.errors).toBeUndefined();
      expect(body.data.verifyPresentation).toMatchObject({
        verdict: 'INDETERMINATE', reasons: ['ISSUING_REGISTRY_UNREACHABLE'], releasedFields: [], usageRecorded: false,
      });
      // Other regions are unaffected.
      const eid = seeded('shandong', SEED, { type: 'e-id', province: '37' }, 2);
      expect((await presentAndVerify(stack, eid, jinanHall, 'service-hall-visit')).verdict).toBe('ACCEPTED');
      await expect(stack.subgraphs.get('recognition')!.subgraph.settle!()).rejects.toThrow(/waiting/);
    } finally {
      await stack.restartSubgraph('chengdu-chongqing');
    }
    await stack.subgraphs.get('recognition')!.subgraph.settle!();
    const { body } = await stack.query(
      `query($id: ID!) { credential(id: $id) { usageRecords { nodes { verdict reasons } } } }`,
      { id: card.id },
      { token: await holderToken(stack, card.holderCode) },
    );
    expect(body.data.credential.usageRecords.nodes).toContainEqual({ verdict: 'INDETERMINATE', reasons: ['ISSUING_REGISTRY_UNREACHABLE'] });
  });
});
