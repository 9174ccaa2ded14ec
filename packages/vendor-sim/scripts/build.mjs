#!/usr/bin/env node
// Builds the ABI simulator library three times (CTP 6.7.7, CTP 6.7.11, SOPT 3.7) with the machine's g++,
// against the ABI header the binding uses (packages/gateway-ctp/native/ctp_abi.h). Test-only. A failed
// build says why; under MDHUB_REQUIRE_ALL=1 (CI) it fails the install.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(root, 'build');
fs.mkdirSync(out, { recursive: true });
const marker = path.join(out, 'BUILD_FAILED.txt');
fs.rmSync(marker, { force: true });
const cxx = process.env.CXX || 'g++';
const failures = [];
for (const [flavour, file] of [['CTP677', 'libmdsim_ctp677.so'], ['CTP6711', 'libmdsim_ctp6711.so'], ['SOPT', 'libmdsim_sopt.so']]) {
  const args = ['-std=c++17', '-O2', '-g', '-Wall', '-Wextra', '-fPIC', '-shared', '-fvisibility=hidden', `-I${path.join(root, '../gateway-ctp/native')}`, `-DMDSIM_${flavour}`,
    '-o', path.join(out, file), path.join(root, 'native/mdsim.cc'), '-lpthread'];
  const r = spawnSync(cxx, args, { encoding: 'utf8' });
  if (r.status !== 0) failures.push(`${file}: ${(r.stderr || r.error?.message || '').split('\n').slice(0, 8).join('\n')}`);
}
if (failures.length === 0) {
  process.stdout.write('@mdhub/vendor-sim: built the ABI simulator libraries (ctp677, ctp6711, sopt)\n');
  process.exit(0);
}
fs.writeFileSync(marker, failures.join('\n'));
process.stderr.write(`@mdhub/vendor-sim: the ABI simulator libraries did not build (tests of the CTP/SOPT gateways cannot run):\n${failures.join('\n')}\n`);
process.exit(process.env.MDHUB_REQUIRE_ALL === '1' ? 1 : 0);
