#!/usr/bin/env node
// Builds the N-API binding (`npm install` runs this). A build that fails leaves the rest of mdhub
// installable: it says why, and records it in build/BUILD_FAILED.txt, which the gateway reports as
// MDH_ERR_CTP_ADDON_MISSING when a CTP/SOPT gateway is started. Under MDHUB_REQUIRE_ALL=1 (CI) it fails.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const marker = path.join(root, 'build', 'BUILD_FAILED.txt');
fs.rmSync(marker, { force: true });
const gyp = process.env.npm_config_node_gyp;
const [cmd, args] = gyp ? [process.execPath, [gyp, 'rebuild']] : ['npx', ['--no-install', 'node-gyp', 'rebuild']];
const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
if (r.status === 0) {
  process.stdout.write('@mdhub/gateway-ctp: built the vendor binding (build/Release/mdhub_ctp.node)\n');
  process.exit(0);
}
const why = `${(r.stderr || '').split('\n').filter((l) => /error|not found|No such/i.test(l)).slice(0, 12).join('\n') || r.error?.message || 'node-gyp failed'}`;
fs.mkdirSync(path.dirname(marker), { recursive: true });
fs.writeFileSync(marker, `${why}\n`);
process.stderr.write(`@mdhub/gateway-ctp: the vendor binding did not build, so CTP and SOPT gateways cannot run here (everything else can).\n${why}\nIt needs g++, make and python3 (node-gyp). Rebuild with: npm rebuild @mdhub/gateway-ctp\n`);
process.exit(process.env.MDHUB_REQUIRE_ALL === '1' ? 1 : 0);
