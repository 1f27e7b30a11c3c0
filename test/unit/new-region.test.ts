/**
 * `npm run new-region`: what it refuses (one line, exit code 2, nothing written), what it writes
 * into the regions file and the region's folder, and the national province table it copies from.
 * Each test works in a temporary root holding only the regions file, the province table and the
 * template (`--root`, `--no-compose`), so the repository's own files are never touched.
 */
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'graphql';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { formatRegionsFile, newRegion, renderTemplate } from '../../scripts/new-region.js';
import { provinceName } from '../../subgraphs/kit/reference.js';
import { parseRegionsDocument } from '../../subgraphs/kit/regions-file.js';

const repo = path.resolve(import.meta.dirname, '../..');
const committedRegionsFile = readFileSync(path.join(repo, 'subgraphs', 'regions.json'), 'utf8');
const provinceTable = JSON.parse(readFileSync(path.join(repo, 'subgraphs', 'kit', 'provinces.json'), 'utf8')).provinces as {
  code: string;
  name: string;
  nameZh: string;
  short: string;
  app: string;
  cities: { code: string; nameZh: string }[];
}[];

let root: string;
beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'hutong-new-region-unit-'));
  mkdirSync(path.join(root, 'subgraphs', 'kit'), { recursive: true });
  writeFileSync(path.join(root, 'subgraphs', 'regions.json'), committedRegionsFile);
  cpSync(path.join(repo, 'subgraphs', 'kit', 'provinces.json'), path.join(root, 'subgraphs', 'kit', 'provinces.json'));
  cpSync(path.join(repo, 'subgraphs', 'kit', 'region-template'), path.join(root, 'subgraphs', 'kit', 'region-template'), { recursive: true });
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

/** Runs the command in-process in the temporary root; returns its exit code and what it printed. */
function command(...args: string[]): { code: number; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  const code = newRegion([...args, '--root', root, '--no-compose'], { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out, err };
}
const regionsFile = () => readFileSync(path.join(root, 'subgraphs', 'regions.json'), 'utf8');
const subgraphFolders = () => readdirSync(path.join(root, 'subgraphs')).sort();

describe('new-region refuses', () => {
  it.each([
    ['a code that cannot name a folder', ['--name', 'Hainan', '--provinces', '46'],
      '--name Hainan: a region code is lower-case words joined by hyphens, at most 40 characters, as hainan or yangtze-delta (it names a folder and a subgraph)'],
    ['a code that gives no GraphQL field', ['--name', 'hainan-2', '--provinces', '46'],
      '--name hainan-2: each hyphen must be followed by a letter, so that the code names a GraphQL field (hainan-2 cannot)'],
    ['the name of a service', ['--name', 'catalogue', '--provinces', '46'], '--name catalogue: that name is taken by a Hutong service'],
    ['a region already in the file', ['--name', 'shandong', '--provinces', '46'], 'region shandong is already in subgraphs/regions.json'],
    ['a province already in a region', ['--name', 'hainan', '--provinces', '46,37'],
      'province 37 (Shandong) is already in region shandong: a province belongs to one region'],
    ['an unknown province', ['--name', 'hainan', '--provinces', '47'], 'province 47 is not in the national province table (subgraphs/kit/provinces.json)'],
    ['a province that is not a code', ['--name', 'hainan', '--provinces', 'hainan'], '--provinces: hainan is not a 2-digit province code'],
    ['a province given twice', ['--name', 'hainan', '--provinces', '46,46'], 'province 46 is given twice'],
    ['a type prefix in use', ['--name', 'hainan', '--provinces', '46', '--prefix', 'Shandong'],
      'type prefix Shandong is already used by region shandong: give another with --prefix'],
    ['a type prefix that is not PascalCase', ['--name', 'hainan', '--provinces', '46', '--prefix', 'hainan'],
      '--prefix hainan: a type prefix is PascalCase, as Hainan or YangtzeDelta (it prefixes GraphQL type names)'],
    ["another region's port", ['--name', 'hainan', '--provinces', '46', '--url', 'http://127.0.0.1:4004'],
      '--url http://127.0.0.1:4004: port 4004 is already used by region shandong'],
    ["the catalogue's port", ['--name', 'hainan', '--provinces', '46', '--url', 'http://localhost:4001'], "--url http://localhost:4001: port 4001 is the catalogue's"],
    ['a URL without a port', ['--name', 'hainan', '--provinces', '46', '--url', 'http://127.0.0.1'], '--url http://127.0.0.1: a URL is http(s)://host:port'],
    ['no provinces', ['--name', 'hainan'], '--provinces is required: province codes, e.g. --provinces 46 or --provinces 13,14'],
  ])('%s, in one line, writing nothing', (_what, args, message) => {
    const result = command(...args);
    expect(result).toEqual({ code: 2, out: [], err: [`new-region: ${message}`] });
    expect(regionsFile()).toBe(committedRegionsFile);
    expect(subgraphFolders()).toEqual(['kit', 'regions.json']);
  });

  it('a folder that already exists, leaving it as it was', () => {
    mkdirSync(path.join(root, 'subgraphs', 'hainan'));
    writeFileSync(path.join(root, 'subgraphs', 'hainan', 'notes.txt'), 'ours');
    expect(command('--name', 'hainan', '--provinces', '46')).toEqual({
      code: 2,
      out: [],
      err: ['new-region: subgraphs/hainan/ already exists: remove it or choose another --name'],
    });
    expect(readdirSync(path.join(root, 'subgraphs', 'hainan'))).toEqual(['notes.txt']);
    expect(regionsFile()).toBe(committedRegionsFile);
  });

  it('as a process: exit code 2 and one line on stderr', async () => {
    const child = promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/new-region.ts', '--name', 'hainan', '--provinces', '37', '--root', root, '--no-compose'], {
      cwd: repo,
    });
    const failure = await child.then(
      () => undefined,
      (error: { code: number; stdout: string; stderr: string }) => error,
    );
    expect(failure).toMatchObject({
      code: 2,
      stdout: '',
      stderr: 'new-region: province 37 (Shandong) is already in region shandong: a province belongs to one region\n',
    });
  });
});

describe('new-region writes', () => {
  it('the entry at the end of the regions file, in its format, with the provinces of the national table and the next port', () => {
    const result = command('--name', 'hainan', '--provinces', '46');
    expect(result.code).toBe(0);
    expect(result.err).toEqual([]);
    const entry = [
      '    {',
      '      "code": "hainan",',
      '      "name": "Hainan",',
      '      "nameZh": "海南",',
      '      "typePrefix": "Hainan",',
      '      "url": "http://127.0.0.1:4007",',
      '      "provinces": [',
      '        {',
      '          "code": "46",',
      '          "name": "Hainan",',
      '          "nameZh": "海南省",',
      '          "short": "琼",',
      '          "app": "海易办",',
      '          "cities": [',
      '            { "code": "460100", "nameZh": "海口市" },',
      '            { "code": "460200", "nameZh": "三亚市" }',
      '          ]',
      '        }',
      '      ]',
      '    }',
    ].join('\n');
    const marker = '\n    }\n  ],\n  "nationalIssuers"';
    expect(committedRegionsFile).toContain(marker);
    expect(regionsFile()).toBe(committedRegionsFile.replace(marker, `\n    },\n${entry}\n  ],\n  "nationalIssuers"`));
    expect(result.out.slice(0, 8)).toEqual([
      'Region hainan (Hainan, 海南; provinces 46; types Hainan*; http://127.0.0.1:4007):',
      '  wrote subgraphs/hainan/README.md',
      '  wrote subgraphs/hainan/recognition.json',
      '  wrote subgraphs/hainan/region.ts',
      '  wrote subgraphs/hainan/resolvers.ts',
      '  wrote subgraphs/hainan/schema.graphql',
      '  wrote subgraphs/hainan/server.ts',
      '  added hainan to subgraphs/regions.json',
    ]);

    // The next region goes above every port in use, the new one's included.
    expect(command('--name', 'jing-jin-ji', '--provinces', '11,12').code).toBe(0);
    const regions = parseRegionsDocument(JSON.parse(regionsFile())).regions;
    expect(regions.map((r) => [r.code, r.name, r.nameZh, r.typePrefix, r.url, r.provinces.map((p) => p.code).join(',')])).toEqual([
      ['yangtze-delta', 'Yangtze River Delta', '长三角', 'YangtzeDelta', 'http://127.0.0.1:4002', '31,32,33,34'],
      ['chengdu-chongqing', 'Chengdu-Chongqing', '成渝', 'ChengduChongqing', 'http://127.0.0.1:4003', '50,51'],
      ['shandong', 'Shandong', '山东', 'Shandong', 'http://127.0.0.1:4004', '37'],
      ['hebei', 'Hebei', '河北', 'Hebei', 'http://127.0.0.1:4006', '13'],
      ['hainan', 'Hainan', '海南', 'Hainan', 'http://127.0.0.1:4007', '46'],
      ['jing-jin-ji', 'Jing Jin Ji', '北京、天津', 'JingJinJi', 'http://127.0.0.1:4008', '11,12'],
    ]);
    // A province now in a region is refused to the next.
    expect(command('--name', 'tianjin', '--provinces', '12').err).toEqual([
      'new-region: province 12 (Tianjin) is already in region jing-jin-ji: a province belongs to one region',
    ]);
  });

  it('the folder from the template: SDL with the region\'s names, a server that exports its module, migrations only when asked', () => {
    expect(command('--name', 'jing-jin-ji', '--provinces', '11,12', '--title', 'Beijing-Tianjin', '--title-zh', '京津').code).toBe(0);
    const folder = path.join(root, 'subgraphs', 'jing-jin-ji');
    expect(readdirSync(folder).sort()).toEqual(['README.md', 'recognition.json', 'region.ts', 'resolvers.ts', 'schema.graphql', 'server.ts']);
    const sdl = readFileSync(path.join(folder, 'schema.graphql'), 'utf8');
    const definitions = parse(sdl).definitions.map((d) => ('name' in d && d.name ? d.name.value : d.kind));
    expect(definitions).toEqual(['SchemaExtension', 'JingJinJiCredential', 'JingJinJiRegion', 'Mutation', 'JingJinJiRegistryMutations']);
    expect(sdl).toContain('A credential issued by an authority in Beijing-Tianjin (Beijing 11, Tianjin 12), with the full\n');
    expect(sdl).toContain('  "Commands of the Beijing-Tianjin registry, for its own issuers only."\n  jingJinJi: JingJinJiRegistryMutations! @requiresScopes(scopes: [["issuer"]])\n');
    // Apart from the names, the SDL is Shandong's: every region serves the same contract.
    const shandongSdl = readFileSync(path.join(repo, 'subgraphs', 'shandong', 'schema.graphql'), 'utf8');
    const asShandong = (s: string) =>
      s
        .replace(/"""\nA credential issued by[\s\S]*?"""\n/, '')
        .replaceAll('JingJinJi', 'Shandong')
        .replaceAll('jingJinJi', 'shandong')
        .replaceAll('Beijing-Tianjin', 'Shandong');
    expect(asShandong(sdl)).toBe(asShandong(shandongSdl));
    expect(readFileSync(path.join(folder, 'region.ts'), 'utf8')).toContain("export const region = regionByCode('jing-jin-ji')!;\n");
    const server = readFileSync(path.join(folder, 'server.ts'), 'utf8');
    expect(server).toContain('export const jingJinJi = registryModule({\n  region,\n  sdlPath: fileURLToPath(new URL(\'./schema.graphql\', import.meta.url)),\n  resolvers,\n});\n');
    expect(server).toContain('export default jingJinJi;\n');
    expect(server).not.toContain('migrationsFolder');
    const readme = readFileSync(path.join(folder, 'README.md'), 'utf8');
    expect(readme).toContain('# Beijing-Tianjin (京津) registry\n');
    expect(readme).toContain('npm run conformance -- --url http://127.0.0.1:4007');
    expect(readme).not.toContain('| `migrations/` |');

    expect(command('--name', 'hainan', '--provinces', '46', '--with-migrations').code).toBe(0);
    const hainan = path.join(root, 'subgraphs', 'hainan');
    expect(readdirSync(path.join(hainan, 'migrations'))).toEqual(['001_first.sql']);
    expect(readFileSync(path.join(hainan, 'server.ts'), 'utf8')).toContain(
      "  resolvers,\n  // The region's own migrations, applied after the shared registry ones.\n  migrationsFolder: fileURLToPath(new URL('./migrations', import.meta.url)),\n});\n",
    );
    expect(readFileSync(path.join(hainan, 'README.md'), 'utf8')).toContain('| `migrations/` |');
    expect(existsSync(path.join(root, 'subgraphs', 'hainan', 'migrations', '001_first.sql.template'))).toBe(false);
  });

  it('the regions file as it is kept: the committed file formats to itself', () => {
    expect(formatRegionsFile(JSON.parse(committedRegionsFile))).toBe(committedRegionsFile);
  });

  it('nothing from a template with a placeholder it does not know', () => {
    expect(renderTemplate('type {{typePrefix}}Credential\n', { typePrefix: 'Hainan' }, {})).toBe('type HainanCredential\n');
    expect(() => renderTemplate('type {{typePrefx}}Credential\n', { typePrefix: 'Hainan' }, {}, 'schema.graphql.template')).toThrow(
      'schema.graphql.template: no value for {{typePrefx}}',
    );
    expect(renderTemplate('a\n{{#migrations}}\nb\n{{/migrations}}\n{{^migrations}}\nc\n{{/migrations}}\n', {}, { migrations: false })).toBe('a\nc\n');
  });
});

describe('the national province table', () => {
  it('has the 31 mainland provinces, each valid as a region of the regions file', () => {
    expect(provinceTable.map((p) => `${p.code} ${p.short} ${p.app}`)).toEqual([
      '11 京 京通', '12 津 津心办', '13 冀 冀时办', '14 晋 三晋通', '15 蒙 蒙速办', '21 辽 辽事通', '22 吉 吉事办', '23 黑 黑龙江全省事',
      '31 沪 随申办', '32 苏 苏证通', '33 浙 浙里办', '34 皖 皖事通', '35 闽 闽政通', '36 赣 赣服通', '37 鲁 爱山东', '41 豫 豫事办',
      '42 鄂 鄂汇办', '43 湘 湘易办', '44 粤 粤省事', '45 桂 智桂通', '46 琼 海易办', '50 渝 渝快办', '51 川 天府通办', '52 贵 贵人服务',
      '53 云 办事通', '54 藏 西藏政务', '61 陕 秦务员', '62 甘 甘快办', '63 青 青松办', '64 宁 我的宁夏', '65 新 新疆政务服务',
    ]);
    // The regions file's checks (one-character abbreviation, cities inside their province…) hold for every province.
    const oneRegionEach = provinceTable.map((p, i) => ({ code: `p${p.code}`, name: p.name, nameZh: p.nameZh, typePrefix: `P${p.code}`, url: `http://127.0.0.1:${5000 + i}`, provinces: [p] }));
    expect(parseRegionsDocument({ regions: oneRegionEach }).regions).toHaveLength(31);
    expect(provinceTable.find((p) => p.code === '13')!.cities).toEqual([
      { code: '130100', nameZh: '石家庄市' },
      { code: '130600', nameZh: '保定市' },
      { code: '130200', nameZh: '唐山市' },
    ]);
  });

  it('holds the provinces of the regions file as the regions file has them', () => {
    const inRegions = JSON.parse(committedRegionsFile).regions.flatMap((r: { provinces: unknown[] }) => r.provinces) as { code: string }[];
    expect(inRegions).toHaveLength(8);
    for (const p of inRegions) expect(provinceTable.find((t) => t.code === p.code)).toEqual(p);
  });

  it('names the provinces that have no registry', () => {
    expect(['10', '11', '15', '37', '46', '54', '65', '99'].map(provinceName)).toEqual([
      'national authorities', 'Beijing', 'Inner Mongolia', 'Shandong', 'Hainan', 'Tibet', 'Xinjiang', 'unknown province 99',
    ]);
  });
});
