/**
 * The catalogue's types for each region, generated from the regions file rather than written by
 * hand: `<prefix>Credential` implements `Credential` (the catalogue resolves `id` and
 * `issuingRegion`; every other field comes from the region's registry, so it is `@external`), and
 * `<prefix>Region` implements `Region` (reference data from the catalogue, figures from the
 * registry). Adding a region to the regions file adds its types at the next composition.
 */
import { Kind, parse, print, Source, type DocumentNode, type FieldDefinitionNode, type InterfaceTypeDefinitionNode } from 'graphql';
import { regions, type Region } from './reference.js';

/** Fields of each interface the catalogue resolves itself; the others are the registry's. */
const CATALOGUE_FIELDS: Record<'Credential' | 'Region', string[]> = {
  Credential: ['id', 'issuingRegion'],
  Region: ['code', 'name', 'nameZh', 'provinces'],
};
const ACCESS: Record<'Credential' | 'Region', string> = {
  Credential: '@requiresScopes(scopes: [["holder"], ["issuer"], ["admin"]])',
  Region: '@requiresScopes(scopes: [["public"]])',
};
const KEY: Record<'Credential' | 'Region', string> = { Credential: 'id', Region: 'code' };

/** The generated types, for the interfaces `Credential` and `Region` declared in `document`. */
export function regionEntityTypes(document: DocumentNode, forRegions: Region[] = regions): DocumentNode {
  const sdl = forRegions.map((region) => (['Credential', 'Region'] as const).map((name) => implementation(region, interfaceOf(document, name))).join('\n\n')).join('\n\n');
  return parse(new Source(sdl, 'generated from subgraphs/regions.json'));
}

function interfaceOf(document: DocumentNode, name: 'Credential' | 'Region'): InterfaceTypeDefinitionNode {
  const found = document.definitions.find((d): d is InterfaceTypeDefinitionNode => d.kind === Kind.INTERFACE_TYPE_DEFINITION && d.name.value === name);
  if (!found) throw new Error(`region entity types need the interface ${name} in the same schema`);
  return found;
}

function implementation(region: Region, iface: InterfaceTypeDefinitionNode): string {
  const name = iface.name.value as 'Credential' | 'Region';
  const fields = (iface.fields ?? []).map((f) => `  ${f.name.value}${argumentsOf(f)}: ${print(f.type)}${CATALOGUE_FIELDS[name].includes(f.name.value) ? '' : ' @external'}`);
  // The Region type's description is the registry's own.
  const description = name === 'Credential' ? `"A credential issued in ${region.name}: routed to the ${region.name} registry."\n` : '';
  return `${description}type ${region.typePrefix}${name} implements ${name} @key(fields: "${KEY[name]}") ${ACCESS[name]} {\n${fields.join('\n')}\n}`;
}

/** An implementing field takes the interface field's arguments (types and defaults, not descriptions). */
function argumentsOf(field: FieldDefinitionNode): string {
  const args = field.arguments ?? [];
  if (args.length === 0) return '';
  return `(${args.map((a) => `${a.name.value}: ${print(a.type)}${a.defaultValue ? ` = ${print(a.defaultValue)}` : ''}`).join(', ')})`;
}
