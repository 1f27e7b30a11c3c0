/**
 * Generated people and organisations for seed data. Names are assembled from common characters
 * and ID numbers are built with valid check characters: none of them is a real person.
 */
import { makeCitizenId, makeUscc } from '../identifiers/index.js';
import { provinceByCode, type City, type Province } from '../reference.js';
import { Random } from './random.js';

const surnames = ['王', '李', '张', '刘', '陈', '杨', '黄', '赵', '吴', '周', '徐', '孙', '马', '朱', '胡', '郭', '何', '林', '罗', '高', '郑', '梁', '谢', '宋', '唐', '许', '韩', '冯', '邓', '曹'];
const givenChars = ['伟', '芳', '娜', '敏', '静', '丽', '强', '磊', '军', '洋', '勇', '艳', '杰', '涛', '明', '超', '秀', '霞', '平', '刚', '桂', '华', '玉', '建', '文', '辉', '晨', '欣', '宇', '浩', '婷', '雪', '琳', '博', '思', '雨', '泽', '然', '晓', '嘉'];
const orgWords = ['华信', '恒通', '瑞达', '锦程', '安和', '新禾', '盛元', '云帆', '汇川', '蓝海', '启明', '同舟', '长风', '和光', '致远'];
const orgTrades = ['科技', '贸易', '餐饮', '物流', '建材', '文化传媒', '信息技术', '商贸', '食品', '家政服务'];
const streets = ['人民路', '解放路', '中山路', '建设路', '和平街', '长江路', '文化路', '新华街', '青年路', '滨江大道'];

export interface Person {
  kind: 'citizen';
  /** GB 11643 citizen ID number: the holder code of type 111. */
  code: string;
  name: string;
  sex: 'male' | 'female';
  birthDate: string;
  province: Province;
  city: City;
  address: string;
}

export interface Organisation {
  kind: 'organisation';
  /** GB 32100 unified social credit code: the holder code of type 001. */
  code: string;
  name: string;
  legalRepresentative: Person;
  province: Province;
  city: City;
  address: string;
  establishedDate: string;
}

export type Holder = Person | Organisation;

export function address(rnd: Random, province: Province, city: City): string {
  const prefix = province.nameZh === city.nameZh ? province.nameZh : `${province.nameZh}${city.nameZh}`;
  return `${prefix}${rnd.pick(streets)}${rnd.int(1, 999)}号`;
}

/** The person behind a key: the same key gives the same person in every process. */
export function personFor(key: string, provinceCodes: readonly string[]): Person {
  const rnd = new Random(`person:${key}`);
  const province = provinceByCode(rnd.pick(provinceCodes))!;
  const city = rnd.pick(province.cities);
  const birthDate = rnd.date('1950-01-01', '2004-12-31');
  const sequence = rnd.int(0, 999);
  const code = makeCitizenId(city.code, birthDate, sequence);
  const name = rnd.pick(surnames) + rnd.pick(givenChars) + (rnd.next() < 0.6 ? rnd.pick(givenChars) : '');
  return {
    kind: 'citizen',
    code,
    name,
    sex: sequence % 2 === 1 ? 'male' : 'female',
    birthDate,
    province,
    city,
    address: address(rnd, province, city),
  };
}

export function organisationFor(key: string, provinceCodes: readonly string[]): Organisation {
  const rnd = new Random(`organisation:${key}`);
  const province = provinceByCode(rnd.pick(provinceCodes))!;
  const city = rnd.pick(province.cities);
  // Registration authority 9 (market supervision), category 1 (company); the org-code body is
  // drawn from a range real codes do not use, and the check characters are computed.
  const body = 'HT' + rnd.digits(6);
  const code = makeUscc('9', '1', city.code, body);
  const name = `${city.nameZh.replace(/[市区]$/, '')}${rnd.pick(orgWords)}${rnd.pick(orgTrades)}有限公司`;
  return {
    kind: 'organisation',
    code,
    name,
    legalRepresentative: personFor(`${key}:legal-representative`, [province.code]),
    province,
    city,
    address: address(rnd, province, city),
    establishedDate: rnd.date('2000-01-01', '2025-12-31'),
  };
}

/**
 * Where movers (holders with credentials in every region) were born: the provinces of the first
 * regions, fixed, so that adding a region to the regions file never changes who the movers are
 * (a region added later seeds the same people the others already hold).
 */
export const moverHomeProvinceCodes: readonly string[] = ['31', '32', '33', '34', '50', '51', '37'];
