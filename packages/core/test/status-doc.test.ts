/** Keeps docs/wire-protocol.md's status kinds and the kinds the hub publishes in step. */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const CORE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const ROOT = path.resolve(CORE, '../..');
/** The files that publish status events (pattern and key kinds elsewhere are not status kinds). */
const SOURCES = ['src/dataplane', 'src/gateway', 'src/hub', 'src/composition.ts'];

function files(p: string): string[] {
  const full = path.join(CORE, p);
  if (fs.statSync(full).isFile()) return [full];
  return fs.readdirSync(full).filter((f) => f.endsWith('.ts')).map((f) => path.join(full, f));
}

describe('status kinds and docs/wire-protocol.md', () => {
  it('documents every status kind the hub publishes, and no other', () => {
    const emitted = new Set<string>();
    for (const f of SOURCES.flatMap(files).filter((f) => !f.endsWith('metrics.ts'))) for (const m of fs.readFileSync(f, 'utf8').matchAll(/\bkind: '([a-z_]+)'/g)) emitted.add(m[1]!);
    const full = fs.readFileSync(path.join(ROOT, 'docs/wire-protocol.md'), 'utf8');
    const doc = full.slice(full.indexOf('Status: `{kind'), full.indexOf('Log: `{level'));
    const documented = new Set([...doc.matchAll(/^\| `([a-z_]+)` \|/gm)].map((m) => m[1]!));
    expect(emitted.size).toBeGreaterThan(15);
    expect([...documented].sort()).toEqual([...emitted].sort());
  });
});
