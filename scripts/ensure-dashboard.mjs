/**
 * `npm start` runs this before the hub: it builds the dashboard (a Next.js static export in
 * packages/dashboard/out) when it is missing or older than its sources, so the hub has pages to serve.
 * A failed build is reported and the hub starts anyway (its API, health and metrics do not need it);
 * with `--strict` (the test command) a failed build fails.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dir = path.join(root, 'packages', 'dashboard');
const built = path.join(dir, 'out', 'index.html');

function newest(p) {
  const st = fs.statSync(p, { throwIfNoEntry: false });
  if (!st) return 0;
  if (!st.isDirectory()) return st.mtimeMs;
  let m = 0;
  for (const e of fs.readdirSync(p)) m = Math.max(m, newest(path.join(p, e)));
  return m;
}

const sources = Math.max(...['app', 'components', 'lib', 'package.json', 'next.config.mjs', 'postcss.config.mjs'].map((x) => newest(path.join(dir, x))));
const out = fs.statSync(built, { throwIfNoEntry: false })?.mtimeMs ?? 0;
if (out >= sources) process.exit(0);
process.stderr.write(`mdhub: building the dashboard (${out === 0 ? 'not built yet' : 'its sources changed'}); this takes a minute the first time\n`);
const r = spawnSync('npm', ['run', 'build', '--silent', '-w', '@mdhub/dashboard'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' } });
if (r.status !== 0) {
  if (process.argv.includes('--strict')) {
    process.stderr.write(`mdhub: the dashboard did not build (exit ${r.status})\n`);
    process.exit(1);
  }
  process.stderr.write(`mdhub: the dashboard did not build (exit ${r.status}); the hub starts without it: npm run build:dashboard shows why\n`);
}
