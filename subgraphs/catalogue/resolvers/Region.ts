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
    // Other subgraphs name a region as the interface (recognition's @interfaceObject Region): the
    // catalogue answers with the region's own type, whose fields it and the registry resolve.
    __resolveReference: (ref: { code: string }) => {
      const region = regionByCode(ref.code);
      if (!region) throw notFound(`No region ${ref.code} in Hutong.`);
      return { __typename: regionTypename(region), code: ref.code };
    },
    __resolveType: (r: { __typename?: string; code: string }) => r.__typename ?? regionTypename(regionByCode(r.code)!),
  },
  ...Object.fromEntries(regions.map((r) => [regionTypename(r), fields])),
};
