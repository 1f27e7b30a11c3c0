/**
 * `npm run build`: compiles Hutong to JavaScript under `dist/` (or `--out <dir>`) and copies what
 * the code reads at run time next to it — SDL files, SQL migrations, the regions and province
 * files, region templates, the committed supergraph and the registry contract — so that the
 * folder runs on `node` alone: `node dist/scripts/start.js`, `node dist/gateway/src/main.js`,
 * `node dist/subgraphs/<name>/server.js`.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const outArg = process.argv.indexOf('--out');
const out = path.resolve(root, outArg >= 0 ? process.argv[outArg + 1] ?? '' : 'dist');
if (out === root) throw new Error('--out must name a folder of its own, not the repository');

const started = Date.now();
rmSync(out, { recursive: true, force: true });
execFileSync(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(root, 'tsconfig.build.json'), '--outDir', out], { stdio: 'inherit', cwd: root });

/** Every file under `folder` that is not TypeScript: what the code reads beside itself. */
function assets(folder: string): string[] {
  return readdirSync(path.join(root, folder), { recursive: true, withFileTypes: false })
    .map(String)
    .map((f) => path.join(folder, f))
    .filter((f) => statSync(path.join(root, f)).isFile() && !f.endsWith('.ts'));
}

let copied = 0;
for (const file of [...assets('subgraphs'), ...assets('schema')]) {
  cpSync(path.join(root, file), path.join(out, file));
  copied++;
}
if (!existsSync(path.join(out, 'gateway', 'src', 'main.js'))) throw new Error('the build has no gateway/src/main.js');
console.log(`Built ${path.relative(root, out) || out} in ${((Date.now() - started) / 1000).toFixed(1)} s (${copied} files copied beside the JavaScript).`);
console.log(`Run it with node alone, e.g. node ${path.relative(root, path.join(out, 'scripts', 'start.js'))}`);
