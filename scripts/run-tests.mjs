#!/usr/bin/env node
// Runs the unit projects (in parallel), then the end-to-end project (one file at a time), then the Python
// package's suite (python/tests, stdlib unittest, with Debian's /usr/bin/python3 and PYTHONPATH=python), and
// ends with one plain summary line "N passed, N failed, N skipped" over all three runs. Under MDHUB_REQUIRE_ALL=1
// (CI) a skipped test fails the run, except the MongoDB contract suite, which needs MDHUB_TEST_MONGO_URL
// (no MongoDB server can be installed here): the skips are listed by name either way.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const out = fs.mkdtempSync(path.join(os.tmpdir(), 'mdhub-test-'));
const runs = [
  ['unit', ['--project', 'unit', '--project', 'unit-tz']],
  ['e2e', ['--project', 'e2e']],
];
const extra = process.argv.slice(2);
const requireAll = process.env.MDHUB_REQUIRE_ALL === '1';
const allowedSkip = /MongoDB/;
let passed = 0, failed = 0, skipped = 0, exit = 0;
const skips = [];
for (const [name, args] of runs) {
  const file = path.join(out, `${name}.json`);
  const r = spawnSync('npx', ['vitest', 'run', ...args, '--reporter=default', '--reporter=json', `--outputFile.json=${file}`, ...extra], { stdio: 'inherit' });
  if (r.status !== 0) exit = r.status ?? 1;
  try {
    const j = JSON.parse(fs.readFileSync(file, 'utf8'));
    passed += j.numPassedTests;
    failed += j.numFailedTests;
    skipped += j.numPendingTests + j.numTodoTests;
    for (const f of j.testResults ?? []) {
      for (const a of f.assertionResults ?? []) {
        if (a.status === 'pending' || a.status === 'skipped' || a.status === 'todo') skips.push(`${path.relative(process.cwd(), f.name)}: ${a.fullName}`);
      }
    }
    if (j.numTotalTests === 0) { console.error(`no test ran in the ${name} run`); exit = exit || 1; }
  } catch {
    console.error(`the ${name} run wrote no results`);
    exit = exit || 1;
  }
}

// The Python suite starts real hubs through the built CLI; its runner writes its counts as JSON.
{
  const file = path.join(out, 'python.json');
  const r = spawnSync('/usr/bin/python3', ['python/tests/run.py', '--json', file], { stdio: 'inherit', env: { ...process.env, PYTHONPATH: 'python' }, timeout: 900_000 });
  if (r.status !== 0) exit = exit || (r.status ?? 1);
  try {
    const j = JSON.parse(fs.readFileSync(file, 'utf8'));
    passed += j.passed;
    failed += j.failed;
    skipped += j.skipped;
    for (const s of j.skips) skips.push(`python/tests: ${s}`);
    for (const n of j.notes) console.log(`note: ${n}`);
    if (j.passed + j.failed + j.skipped === 0) { console.error('no test ran in the python run'); exit = exit || 1; }
  } catch {
    console.error(`the python run wrote no results${r.error ? ` (${r.error.message})` : ''}`);
    exit = exit || 1;
  }
}
fs.rmSync(out, { recursive: true, force: true });
for (const s of skips) console.log(`skipped: ${s}`);
const forbidden = requireAll ? skips.filter((s) => !allowedSkip.test(s)) : [];
if (forbidden.length > 0) {
  console.error(`MDHUB_REQUIRE_ALL=1: ${forbidden.length} test(s) skipped that must run here (only the MongoDB suite may skip)`);
  exit = exit || 1;
}
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(exit);
