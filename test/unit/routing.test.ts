import { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { regionOfIdentifier } from '../../subgraphs/kit/routing.js';
import {
  credentialTypename,
  parseHolderCode,
  regionTypename,
  routeIdentifier,
} from '../../subgraphs/catalogue/routing.js';
import { regionByCode } from '../../subgraphs/kit/reference.js';

// Literal licence identifiers whose issuer USCC sits in the named province (division <pp>0100).
// Type code and serial are the same throughout, so only the issuer decides the region.
const ID = {
  shanghai: '1.2.156.3005.2.11100000000013338W032.11310100HT0000A11W.HT2024001.001.U',
  jiangsu: '1.2.156.3005.2.11100000000013338W032.11320100HT0000A111.HT2024001.001.N',
  zhejiang: '1.2.156.3005.2.11100000000013338W032.11330100HT0000A115.HT2024001.001.B',
  anhui: '1.2.156.3005.2.11100000000013338W032.11340100HT0000A119.HT2024001.001.D',
  chongqing: '1.2.156.3005.2.11100000000013338W032.11500100HT0000A116.HT2024001.001.L',
  sichuan: '1.2.156.3005.2.11100000000013338W032.11510100HT0000A11A.HT2024001.001.Y',
  shandong: '1.2.156.3005.2.11100000000013338W032.11370100HT0000A11M.HT2024001.001.T',
  beijing: '1.2.156.3005.2.11100000000013338W032.11110100HT0000A11F.HT2024001.001.9',
  guangdong: '1.2.156.3005.2.11100000000013338W032.11440100HT0000A110.HT2024001.001.U',
  nationalAuthority: '1.2.156.3005.2.11100000000013338W032.11100100HT0000A11B.HT2024001.001.C',
  noSuchProvince: '1.2.156.3005.2.11100000000013338W032.11990100HT0000A116.HT2024001.001.O',
} as const;

/** Runs `fn`, expecting the one GraphQL error a client would get; returns its message and extensions. */
function refusal(fn: () => unknown): { message: string; extensions: Record<string, unknown> } {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(GraphQLError);
    const e = err as GraphQLError;
    return { message: e.message, extensions: { ...e.extensions } };
  }
  throw new Error('expected a refusal, but the call succeeded');
}

describe('routing a credential identifier to its issuing region', () => {
  it.each([
    ['Shanghai (31)', ID.shanghai, 'yangtze-delta', '31'],
    ['Jiangsu (32)', ID.jiangsu, 'yangtze-delta', '32'],
    ['Zhejiang (33)', ID.zhejiang, 'yangtze-delta', '33'],
    ['Anhui (34)', ID.anhui, 'yangtze-delta', '34'],
    ['Chongqing (50)', ID.chongqing, 'chengdu-chongqing', '50'],
    ['Sichuan (51)', ID.sichuan, 'chengdu-chongqing', '51'],
    ['Shandong (37)', ID.shandong, 'shandong', '37'],
  ])('sends a credential issued in %s to its region', (_name, id, regionCode, provinceCode) => {
    const routed = regionOfIdentifier(id);
    expect(routed.id).toBe(id);
    expect(routed.region.code).toBe(regionCode);
    expect(routed.provinceCode).toBe(provinceCode);
  });

  it('reads the province from the issuer, not from the defining authority in the type code', () => {
    // The type code's authority is national (division 100000); the issuer is in Sichuan.
    expect(regionOfIdentifier(ID.sichuan).region.code).toBe('chengdu-chongqing');
  });

  it('ignores surrounding white space and hands back the trimmed identifier', () => {
    const routed = regionOfIdentifier(`  ${ID.shandong}\n`);
    expect(routed).toEqual({ id: ID.shandong, region: regionByCode('shandong'), provinceCode: '37' });
  });

  it('refuses a credential from a province that has no registry, naming the province', () => {
    expect(refusal(() => regionOfIdentifier(ID.beijing))).toEqual({
      message: 'Credential identifier was issued in province 11 (Beijing), which has no registry in Hutong.',
      extensions: { code: 'BAD_USER_INPUT', reason: 'UNKNOWN_REGION' },
    });
    expect(refusal(() => regionOfIdentifier(ID.guangdong))).toEqual({
      message: 'Credential identifier was issued in province 44 (Guangdong), which has no registry in Hutong.',
      extensions: { code: 'BAD_USER_INPUT', reason: 'UNKNOWN_REGION' },
    });
    expect(refusal(() => regionOfIdentifier(ID.nationalAuthority))).toEqual({
      message:
        'Credential identifier was issued in province 10 (national authorities), which has no registry in Hutong.',
      extensions: { code: 'BAD_USER_INPUT', reason: 'UNKNOWN_REGION' },
    });
  });

  it('refuses a credential whose province code does not exist at all', () => {
    expect(refusal(() => regionOfIdentifier(ID.noSuchProvince))).toEqual({
      message: 'Credential identifier was issued in province 99 (unknown province 99), which has no registry in Hutong.',
      extensions: { code: 'BAD_USER_INPUT', reason: 'UNKNOWN_REGION' },
    });
  });

  it('refuses a malformed identifier with the parser reason and code', () => {
    expect(refusal(() => regionOfIdentifier('   '))).toEqual({
      message: 'Invalid credential identifier: identifier is empty.',
      extensions: { code: 'BAD_USER_INPUT', reason: 'MALFORMED' },
    });
    expect(refusal(() => regionOfIdentifier(ID.shanghai.toLowerCase()))).toEqual({
      message: 'Invalid credential identifier: identifier must use upper-case letters only.',
      extensions: { code: 'BAD_USER_INPUT', reason: 'MALFORMED' },
    });
  });

  it('refuses an identifier with a wrong check character rather than routing it', () => {
    expect(refusal(() => regionOfIdentifier(`${ID.shanghai.slice(0, -1)}V`))).toEqual({
      message: "Invalid credential identifier: identifier check character is 'V' but should be 'U'.",
      extensions: { code: 'BAD_USER_INPUT', reason: 'BAD_CHECK_CHARACTER' },
    });
  });

  it('refuses an identifier whose issuer code is corrupted, before looking up any region', () => {
    const corrupted = ID.shanghai.replace('11310100HT0000A11W', '11310100HT0000A11X');
    expect(refusal(() => regionOfIdentifier(corrupted))).toEqual({
      message:
        "Invalid credential identifier: issuing authority code '11310100HT0000A11X' is not a valid unified social credit code: the check character is 'X' but expected 'W'.",
      extensions: { code: 'BAD_USER_INPUT', reason: 'BAD_ISSUER_CODE' },
    });
  });
});

describe('the catalogue turning an identifier into a typed credential reference', () => {
  it.each([
    [ID.anhui, 'yangtze-delta', 'YangtzeDeltaCredential'],
    [ID.chongqing, 'chengdu-chongqing', 'ChengduChongqingCredential'],
    [ID.shandong, 'shandong', 'ShandongCredential'],
  ])('references %s as a credential of its region', (id, regionCode, typename) => {
    const routed = routeIdentifier(` ${id} `);
    expect(routed.region.code).toBe(regionCode);
    expect(routed.ref).toEqual({ __typename: typename, id });
  });

  it('passes on the refusal for a province without a registry', () => {
    expect(refusal(() => routeIdentifier(ID.beijing))).toEqual({
      message: 'Credential identifier was issued in province 11 (Beijing), which has no registry in Hutong.',
      extensions: { code: 'BAD_USER_INPUT', reason: 'UNKNOWN_REGION' },
    });
  });

  it('names the region and credential types after the region type prefix', () => {
    const delta = regionByCode('yangtze-delta')!;
    const chengyu = regionByCode('chengdu-chongqing')!;
    expect(credentialTypename(delta)).toBe('YangtzeDeltaCredential');
    expect(regionTypename(delta)).toBe('YangtzeDeltaRegion');
    expect(credentialTypename(chengyu)).toBe('ChengduChongqingCredential');
    expect(regionTypename(chengyu)).toBe('ChengduChongqingRegion');
  });
});

describe('recognising a holder code as a citizen or an organisation', () => {
  it('takes a valid citizen ID number as a citizen holder', () => {
    expect(parseHolderCode('31010420000229017X')).toEqual({ code: '31010420000229017X', holderType: 'CITIZEN' });
    expect(parseHolderCode('310104199912310170')).toEqual({ code: '310104199912310170', holderType: 'CITIZEN' });
  });

  it('upper-cases a typed lower-case x and trims white space', () => {
    expect(parseHolderCode(' 31010420000229017x\t')).toEqual({ code: '31010420000229017X', holderType: 'CITIZEN' });
  });

  it('takes a valid unified social credit code as an organisation holder', () => {
    expect(parseHolderCode('91350100M000100Y43')).toEqual({ code: '91350100M000100Y43', holderType: 'ORGANISATION' });
    expect(parseHolderCode(' 91350100m000100y43 ')).toEqual({
      code: '91350100M000100Y43',
      holderType: 'ORGANISATION',
    });
  });

  it('takes an all-digit unified social credit code as an organisation, not as a citizen', () => {
    expect(parseHolderCode('914403001922038216')).toEqual({ code: '914403001922038216', holderType: 'ORGANISATION' });
  });

  it('takes an organisation code ending in X as an organisation', () => {
    // 17 digits then X looks like a citizen ID, but its "birth year" 0400 is impossible.
    expect(parseHolderCode('91310104000000369x')).toEqual({ code: '91310104000000369X', holderType: 'ORGANISATION' });
  });

  it('refuses 18 digits that are neither, with the citizen ID reason', () => {
    expect(refusal(() => parseHolderCode('310104200002290171'))).toEqual({
      message: "Invalid holder code: not a valid citizen ID number (The check character is '1' but expected 'X'.)",
      extensions: { code: 'BAD_USER_INPUT', reason: 'INVALID_HOLDER_CODE' },
    });
  });

  it('refuses a citizen ID number of someone not yet born, saying so', () => {
    expect(refusal(() => parseHolderCode('310104209901010179'))).toEqual({
      message: expect.stringMatching(/^Invalid holder code: not a valid citizen ID number \(The birth date 2099-01-01 is after today \(\d{4}-\d{2}-\d{2}\)\.\)$/),
      extensions: { code: 'BAD_USER_INPUT', reason: 'INVALID_HOLDER_CODE' },
    });
  });

  it('refuses a code of the wrong length with the unified social credit code reason', () => {
    expect(refusal(() => parseHolderCode('3101042000022901'))).toEqual({
      message:
        'Invalid holder code: expected an 18-character citizen ID number (GB 11643) or unified social credit code (GB 32100); A unified social credit code must be 18 characters long, but 16 were given.',
      extensions: { code: 'BAD_USER_INPUT', reason: 'INVALID_HOLDER_CODE' },
    });
  });

  it('refuses a letter-bearing code with a wrong check character', () => {
    expect(refusal(() => parseHolderCode('91350100M000100Y44'))).toEqual({
      message:
        "Invalid holder code: expected an 18-character citizen ID number (GB 11643) or unified social credit code (GB 32100); The check character is '4' but expected '3'.",
      extensions: { code: 'BAD_USER_INPUT', reason: 'INVALID_HOLDER_CODE' },
    });
  });
});
