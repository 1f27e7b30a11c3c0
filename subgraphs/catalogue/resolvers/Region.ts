import { provinceByCode, regionByCode, regions } from '../../kit/reference.js';
import { notFound } from '../../kit/errors.js';
import { regionTypename } from '../routing.js';

const fields = {
  __resolveReference: (ref: { code: string }) => {
    if (!regionByCode(ref.code)) throw notFound(`No region ${ref.code} in Hutong.`);
    return { code: ref.code };
  },
  name: (r: { code: string }) => regionByCode(r.code)!.name,
  nameZh: (r: { code: string }) => regionByCode(r.code)!.nameZh,
  provinces: (r: { code: string }) => regionByCode(r.code)!.provinceCodes.map((c) => provinceByCode(c)!),
};

export const regionResolvers = {
  Region: {
    __resolveType: (r: { __typename?: string; code: string }) => r.__typename ?? regionTypename(regionByCode(r.code)!),
  },
  ...Object.fromEntries(regions.map((r) => [regionTypename(r), fields])),
};
