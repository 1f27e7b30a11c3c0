import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import type { Caller } from '../auth/caller.js';
import { notFound } from '../errors.js';
import { credentialTypeByCode, holderTypes, statusCodes, type Region } from '../reference.js';
import type { CredentialRecord } from '../seed/credentials.js';
import type { RegistryLoaders } from './loaders.js';
import { effectiveStatus } from './status.js';

export interface RegistryContext {
  caller: Caller;
  loaders: RegistryLoaders;
}

/**
 * Resolvers of a regional registry for the region's own types (`<Prefix>Credential`,
 * `<Prefix>Region`). A region's `resolvers.ts` spreads these and may add its own fields.
 */
export function registryResolvers(region: Region): GraphQLResolverMap<RegistryContext> {
  return {
    [`${region.typePrefix}Credential`]: {
      async __resolveReference(ref: { id: string }, ctx: RegistryContext) {
        const credential = await ctx.loaders.credential.load(ref.id);
        if (!credential) {
          throw notFound(`No credential with identifier ${ref.id} in the ${region.name} registry.`, {
            registry: region.code,
          });
        }
        return credential;
      },
      type: (c: CredentialRecord) => ({ code: c.typeCode }),
      holderType: (c: CredentialRecord) => holderTypes[c.holderType],
      status: (c: CredentialRecord) => effectiveStatus(c.status, c.expiryDate),
      statusCode: (c: CredentialRecord) => c.status,
      faceFields: (c: CredentialRecord) => {
        const definitions = credentialTypeByCode(c.typeCode)?.faceFields ?? [];
        return definitions
          .filter((d) => c.face[d.key] !== undefined)
          .map((d) => ({ key: d.key, label: d.label, labelZh: d.labelZh, value: c.face[d.key] }));
      },
    },
    [`${region.typePrefix}Region`]: {
      __resolveReference(ref: { code: string }) {
        if (ref.code !== region.code) throw notFound(`The ${region.name} registry does not serve region ${ref.code}.`);
        return { code: region.code };
      },
      async credentialCount(_: unknown, _args: unknown, ctx: RegistryContext) {
        const counts = await ctx.loaders.statusCounts.load('all');
        return [...counts.values()].reduce((a, b) => a + b, 0);
      },
      async credentialCountByStatus(_: unknown, _args: unknown, ctx: RegistryContext) {
        const counts = await ctx.loaders.statusCounts.load('all');
        return [...counts.entries()]
          .map(([statusCode, count]) => ({ status: statusCodes[statusCode], statusCode, count }))
          .sort((a, b) => a.statusCode.localeCompare(b.statusCode));
      },
    },
  };
}
