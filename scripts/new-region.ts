/**
 * `npm run new-region -- --name <code> --provinces <codes>`: makes a region's registry from the
 * template in subgraphs/kit/region-template/ — the folder subgraphs/<code>/ (SDL, region entry,
 * resolvers, server entry, a README for its team, optionally migrations), its entry in
 * subgraphs/regions.json with its provinces copied from the national table
 * (subgraphs/kit/provinces.json) on the next free port, then composes schema/supergraph.graphql.
 * Seeds need nothing: the registry engine seeds any region from its provinces and cities.
 *
 *   --name <code>        the region's code: its folder, subgraph and service name (hainan, yangtze-delta)
 *   --provinces <codes>  2-digit province codes, comma-separated, in no region yet (46 or 13,14)
 *   --title <name>       its English name (default: from the code, "Hainan" for hainan)
 *   --title-zh <name>    its Chinese name (default: its provinces' names, 海南 for 46)
 *   --prefix <Prefix>    its GraphQL type prefix (default: the code in PascalCase, Hainan)
 *   --url <url>          where it is reached (default: http://127.0.0.1:<next free port>)
 *   --with-migrations    also a migrations/ folder, passed to the registry as migrationsFolder
 *   --no-compose         do not compose (the supergraph is then stale until `npm run compose`)
 *   --root <dir>         the Hutong checkout to work in (default: this one)
 *
 * A refusal is one line on stderr and exit code 2; a composition that fails undoes the folder and
 * the regions file entry and exits 1.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parseRegionsDocument } from '../subgraphs/kit/regions-file.js';

export const usage =
  'Usage: npm run new-region -- --name <code> --provinces <codes> [--title <name>] [--title-zh <name>] [--prefix <Prefix>] [--url <http://host:port>] [--with-migrations] [--no-compose] [--root <dir>]';

const repoRoot = path.resolve(import.meta.dirname, '..');

/** Where things are inside a Hutong checkout. */
export const paths = {
  regionsFile: path.join('subgraphs', 'regions.json'),
  provinceTable: path.join('subgraphs', 'kit', 'provinces.json'),
  template: path.join('subgraphs', 'kit', 'region-template'),
  supergraph: path.join('schema', 'supergraph.graphql'),
};

/** Ports of the services that are not regions (gateway, catalogue, recognition): never a region's. */
const servicePorts: Record<number, string> = { 4000: 'the gateway', 4001: 'the catalogue', 4005: 'recognition' };
const serviceNames = new Set(['gateway', 'catalogue', 'recognition', 'kit']);

/** Why the command will not go on: said in one line, exit code 2. */
export class Refusal extends Error {}

export interface NewRegionOptions {
  code: string;
  provinceCodes: string[];
  title?: string;
  titleZh?: string;
  prefix?: string;
  url?: string;
  withMigrations: boolean;
  compose: boolean;
  root: string;
}

export function parseOptions(argv: string[]): NewRegionOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        name: { type: 'string' },
        provinces: { type: 'string' },
        title: { type: 'string' },
        'title-zh': { type: 'string' },
        prefix: { type: 'string' },
        url: { type: 'string' },
        'with-migrations': { type: 'boolean', default: false },
        'no-compose': { type: 'boolean', default: false },
        root: { type: 'string' },
      },
    }));
  } catch (error) {
    throw new Refusal(`${(error as Error).message}. ${usage}`);
  }
  if (!values.name) throw new Refusal('--name is required: the region\'s code, e.g. --name hainan');
  if (!values.provinces) throw new Refusal('--provinces is required: province codes, e.g. --provinces 46 or --provinces 13,14');
  return {
    code: values.name,
    provinceCodes: values.provinces.split(',').map((c) => c.trim()),
    title: values.title,
    titleZh: values['title-zh'],
    prefix: values.prefix,
    url: values.url,
    withMigrations: values['with-migrations'],
    compose: !values['no-compose'],
    root: path.resolve(values.root ?? repoRoot),
  };
}

interface ProvinceEntry {
  code: string;
  name: string;
  nameZh: string;
  short: string;
  app: string;
  cities: { code: string; nameZh: string }[];
}

interface RegionEntry {
  code: string;
  name: string;
  nameZh: string;
  typePrefix: string;
  url: string;
  provinces: ProvinceEntry[];
}

/** The GraphQL field of the region's commands: the code in camelCase, as the registry engine names it. */
export const mutationFieldOf = (code: string) => code.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
const pascal = (code: string) => code.split('-').map((w) => w[0]!.toUpperCase() + w.slice(1)).join('');
const titleOf = (code: string) => code.split('-').map((w) => w[0]!.toUpperCase() + w.slice(1)).join(' ');
/** 海南省 → 海南, 广西壮族自治区 → 广西: how a region made of provinces is named in Chinese. */
const shortNameZh = (nameZh: string) => nameZh.replace(/(壮族自治区|回族自治区|维吾尔自治区|自治区|省|市)$/, '');
const portOf = (url: string) => Number(new URL(url).port);
// A region's module is exported under its camelCase code; a reserved word cannot name a const.
const reservedWords = new Set(
  'break case catch class const continue debugger default delete do else enum export extends false finally for function if import in instanceof let new null return static super switch this throw true try typeof var void while with yield await'.split(' '),
);

/** Formats the regions file as it is kept: 2-space JSON, each city on one line, a final newline. */
export function formatRegionsFile(document: unknown): string {
  return `${JSON.stringify(document, null, 2).replace(/\{\n\s+"code": ("\d{6}"),\n\s+"nameZh": ("[^"\n]*")\n\s+\}/g, '{ "code": $1, "nameZh": $2 }')}\n`;
}

/**
 * Fills a template: `{{key}}` is replaced by its value; a section between lines `{{#flag}}` and
 * `{{/flag}}` is kept when the flag is set (`{{^flag}}` when it is not). Anything left unfilled is
 * an error, so that a template and this command cannot drift apart unnoticed.
 */
export function renderTemplate(template: string, vars: Record<string, string>, flags: Record<string, boolean>, name = 'template'): string {
  const sections = template.replace(/^\{\{([#^])(\w+)\}\}\n([\s\S]*?)^\{\{\/\2\}\}\n/gm, (_, kind: string, flag: string, body: string) => {
    if (!(flag in flags)) throw new Error(`${name}: no flag ${flag}`);
    return (kind === '#') === flags[flag] ? body : '';
  });
  const filled = sections.replace(/\{\{(\w+)\}\}/g, (_, key: string) => {
    const value = vars[key];
    if (value === undefined) throw new Error(`${name}: no value for {{${key}}}`);
    return value;
  });
  const left = /\{\{[#^/]?\w+\}\}/.exec(filled);
  if (left) throw new Error(`${name}: ${left[0]} left unfilled`);
  return filled;
}

function readText(root: string, file: string): string {
  try {
    return readFileSync(path.join(root, file), 'utf8');
  } catch (error) {
    throw new Refusal(`cannot read ${file} under ${root}: ${(error as Error).message}`);
  }
}

function readJson(root: string, file: string, text = readText(root, file)): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new Refusal(`${file} under ${root} is not JSON: ${(error as Error).message}`);
  }
}

/** The template's files, relative to the template folder, without their `.template` suffix. */
function templateFiles(folder: string, withMigrations: boolean): string[] {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(path.join(folder, dir), { withFileTypes: true })) {
      const rel = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (rel !== 'migrations' || withMigrations) walk(rel);
      } else if (entry.name.endsWith('.template')) files.push(rel.slice(0, -'.template'.length));
    }
  };
  walk('');
  return files.sort();
}

export interface RegionPlan {
  entry: RegionEntry;
  folder: string;
  /** File path relative to the region's folder → content. */
  files: Map<string, string>;
  regionsFileBefore: string;
  regionsFileAfter: string;
}

/** Checks everything and works out what to write, writing nothing: a refusal leaves the checkout as it was. */
export function planRegion(options: NewRegionOptions): RegionPlan {
  const { code, root } = options;
  if (!/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/.test(code) || code.length > 40) {
    throw new Refusal(`--name ${code}: a region code is lower-case words joined by hyphens, at most 40 characters, as hainan or yangtze-delta (it names a folder and a subgraph)`);
  }
  const mutationField = mutationFieldOf(code);
  if (mutationField.includes('-')) {
    throw new Refusal(`--name ${code}: each hyphen must be followed by a letter, so that the code names a GraphQL field (${mutationField} cannot)`);
  }
  if (serviceNames.has(code)) throw new Refusal(`--name ${code}: that name is taken by a Hutong service`);

  const regionsFileBefore = readText(root, paths.regionsFile);
  const raw = readJson(root, paths.regionsFile, regionsFileBefore) as { regions: RegionEntry[] };
  try {
    parseRegionsDocument(raw, paths.regionsFile);
  } catch (error) {
    throw new Refusal(`${(error as Error).message.replaceAll('\n', ' ')}: fix it first`);
  }
  const regions = raw.regions;
  if (regions.some((r) => r.code === code)) throw new Refusal(`region ${code} is already in ${paths.regionsFile}`);
  const folder = path.join(root, 'subgraphs', code);
  if (existsSync(folder)) throw new Refusal(`subgraphs/${code}/ already exists: remove it or choose another --name`);

  const table = (readJson(root, paths.provinceTable) as { provinces: ProvinceEntry[] }).provinces;
  const provinces: ProvinceEntry[] = [];
  for (const p of options.provinceCodes) {
    if (!/^\d{2}$/.test(p)) throw new Refusal(`--provinces: ${p || '(empty)'} is not a 2-digit province code`);
    const province = table.find((t) => t.code === p);
    if (!province) throw new Refusal(`province ${p} is not in the national province table (${paths.provinceTable})`);
    if (provinces.some((q) => q.code === p)) throw new Refusal(`province ${p} is given twice`);
    const owner = regions.find((r) => r.provinces.some((q) => q.code === p));
    if (owner) throw new Refusal(`province ${p} (${province.name}) is already in region ${owner.code}: a province belongs to one region`);
    provinces.push(structuredClone(province));
  }

  const typePrefix = options.prefix ?? pascal(code);
  if (!/^[A-Z][A-Za-z0-9]*$/.test(typePrefix)) {
    throw new Refusal(`--prefix ${typePrefix}: a type prefix is PascalCase, as Hainan or YangtzeDelta (it prefixes GraphQL type names)`);
  }
  const prefixOwner = regions.find((r) => r.typePrefix === typePrefix);
  if (prefixOwner) throw new Refusal(`type prefix ${typePrefix} is already used by region ${prefixOwner.code}: give another with --prefix`);

  // Above every port in use, so that `npm start` (which keeps each offset from its base) has room.
  const nextPort = Math.max(...Object.keys(servicePorts).map(Number), ...regions.map((r) => portOf(r.url))) + 1;
  const url = (options.url ?? `http://127.0.0.1:${nextPort}`).replace(/\/+$/, '');
  if (!/^https?:\/\/[^/\s]+:\d+$/.test(url)) throw new Refusal(`--url ${options.url}: a URL is http(s)://host:port`);
  const port = portOf(url);
  if (servicePorts[port]) throw new Refusal(`--url ${url}: port ${port} is ${servicePorts[port]}'s`);
  const portOwner = regions.find((r) => portOf(r.url) === port);
  if (portOwner) throw new Refusal(`--url ${url}: port ${port} is already used by region ${portOwner.code}`);

  const name = (options.title ?? titleOf(code)).trim();
  const nameZh = (options.titleZh ?? provinces.map((p) => shortNameZh(p.nameZh)).join('、')).trim();
  if (!name) throw new Refusal('--title must not be empty');
  if (!nameZh) throw new Refusal('--title-zh must not be empty');

  const entry: RegionEntry = { code, name, nameZh, typePrefix, url, provinces };
  const after = { ...raw, regions: [...regions, entry] };
  try {
    parseRegionsDocument(after, paths.regionsFile);
  } catch (error) {
    throw new Refusal(`the new entry would not be valid: ${(error as Error).message.replaceAll('\n', ' ')}`);
  }

  const vars: Record<string, string> = {
    code,
    codeSnake: code.replaceAll('-', '_'),
    name,
    nameZh,
    typePrefix,
    mutationField,
    moduleName: reservedWords.has(mutationField) ? `${mutationField}Registry` : mutationField,
    url,
    provinceList: provinces.map((p) => `${p.name} ${p.code}`).join(', '),
    provinceNames: provinces.map((p) => `${p.name} ${p.nameZh} (${p.code}, app ${p.app})`).join(', '),
  };
  const templateFolder = path.join(root, paths.template);
  const files = new Map<string, string>();
  for (const file of templateFiles(templateFolder, options.withMigrations)) {
    const template = readFileSync(path.join(templateFolder, `${file}.template`), 'utf8');
    files.set(file, renderTemplate(template, vars, { migrations: options.withMigrations }, `${paths.template}/${file}.template`));
  }
  return { entry, folder, files, regionsFileBefore, regionsFileAfter: formatRegionsFile(after) };
}

function writePlan(plan: RegionPlan, root: string): void {
  for (const [file, content] of plan.files) {
    mkdirSync(path.dirname(path.join(plan.folder, file)), { recursive: true });
    writeFileSync(path.join(plan.folder, file), content);
  }
  writeFileSync(path.join(root, paths.regionsFile), plan.regionsFileAfter);
}

function undo(plan: RegionPlan, root: string): void {
  rmSync(plan.folder, { recursive: true, force: true });
  writeFileSync(path.join(root, paths.regionsFile), plan.regionsFileBefore);
}

/**
 * Composes in a child process: the modules composition uses read the regions file when they are
 * imported, so this process (which read it before the new entry) cannot compose the new one.
 */
function composeEnv(): NodeJS.ProcessEnv {
  const { HUTONG_REGIONS_FILE: _ignored, ...env } = process.env;
  return env;
}

function composeIn(root: string): { ok: boolean; output: string } {
  const result = spawnSync(process.execPath, ['--import', 'tsx', path.join('scripts', 'compose.ts')], { cwd: root, env: composeEnv(), encoding: 'utf8' });
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}${result.error ? result.error.message : ''}`;
  return { ok: result.status === 0, output };
}

export interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
}

const processIo: Io = { out: (l) => process.stdout.write(`${l}\n`), err: (l) => process.stderr.write(`${l}\n`) };

/** The command: returns its exit code (0 done, 1 composition failed and undone, 2 refused). */
export function newRegion(argv: string[], io: Io = processIo): number {
  let options: NewRegionOptions;
  let plan: RegionPlan;
  try {
    options = parseOptions(argv);
    plan = planRegion(options);
  } catch (error) {
    if (!(error instanceof Refusal)) throw error;
    io.err(`new-region: ${error.message}`);
    return 2;
  }
  const { entry } = plan;
  writePlan(plan, options.root);
  const written = [...plan.files.keys()].map((f) => `subgraphs/${entry.code}/${f}`);
  io.out(`Region ${entry.code} (${entry.name}, ${entry.nameZh}; provinces ${entry.provinces.map((p) => p.code).join(', ')}; types ${entry.typePrefix}*; ${entry.url}):`);
  for (const f of written) io.out(`  wrote ${f}`);
  io.out(`  added ${entry.code} to ${paths.regionsFile}`);
  if (options.compose) {
    const composed = composeIn(options.root);
    if (!composed.ok) {
      undo(plan, options.root);
      io.err(composed.output.trimEnd());
      io.err(`new-region: composition failed, so subgraphs/${entry.code}/ and its ${paths.regionsFile} entry were removed again`);
      return 1;
    }
    io.out(`  composed ${paths.supergraph}`);
    // docker-compose.yml is written from the regions file too; a checkout without one has no deployment to update.
    if (existsSync(path.join(options.root, 'docker-compose.yml'))) {
      const written = spawnSync(process.execPath, ['--import', 'tsx', path.join('scripts', 'docker-compose.ts')], { cwd: options.root, env: composeEnv(), encoding: 'utf8' });
      if (written.status === 0) io.out('  wrote docker-compose.yml');
      else io.err(`new-region: docker-compose.yml was not rewritten (run npm run docker-compose): ${(written.stderr ?? '').trim()}`);
    }
  }
  const port = portOf(entry.url);
  io.out(`
Next:
${options.compose ? '' : '  npm run compose                                   # the supergraph is stale until then\n'}  npm start                                         # runs ${entry.code} on port ${port} with the others; its key pair is made on this start
  npm run conformance -- --url ${entry.url}   # the registry contract, against the running registry
  npm run check:schema                              # before each change of subgraphs/${entry.code}/schema.graphql
  Read subgraphs/${entry.code}/README.md, then commit subgraphs/${entry.code}/, ${paths.regionsFile}, ${paths.supergraph} and docker-compose.yml.`);
  return 0;
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = newRegion(process.argv.slice(2));
}
