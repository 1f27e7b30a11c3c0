/**
 * Example operations with real identifiers from the default seed, printed by `npm start` and
 * used in the README. The identifiers come from the same seed code the registries run.
 */
import { regions } from '../subgraphs/kit/reference.js';
import { moverAt, seedCredential } from '../subgraphs/kit/seed/credentials.js';

/** `as` names the development identity to send it as (`npm run tokens`); none = anonymous. */
export function exampleOperations(): { title: string; as?: string; query: string; variables?: Record<string, string> }[] {
  const byRegion = regions.map((r) => ({ region: r, credential: seedCredential(r, 1) }));
  return [
    {
      title: 'Regions and their live credential counts',
      as: 'analyst',
      query: '{ regions { code name nameZh credentialCount provinces { code nameZh app } } }',
    },
    ...byRegion.map(({ region, credential }) => ({
      title: `A credential issued in ${region.name}, fetched live from its registry`,
      as: `issuer-${region.code}`,
      query: `{ credential(id: "${credential.id}") { __typename name number holderName status expiryDate issuingRegion { code } faceFields { label value } } }`,
    })),
    {
      title: 'One holder’s credentials across all regions',
      as: 'holder',
      query: `{ holder(code: "${moverAt(0).code}") { holderType credentials { nodes { name status issuerName issuingRegion { name } } } } }`,
    },
    {
      title: 'The national credential type catalogue',
      query: '{ credentialTypes { code slug nameZh holderType definingAuthority } }',
    },
  ];
}
