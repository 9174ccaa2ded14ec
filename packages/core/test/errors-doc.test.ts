/**
 * Keeps the error catalogs and docs/reference/errors.md in step (fastify's errors test): every code a
 * source file uses is in a catalog, every catalog code is documented with the catalog's message, and the
 * doc lists nothing that no catalog has.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { PROTOCOL_ERRORS } from '@mdhub/protocol';
import { CLIENT_ERRORS } from '@mdhub/client';
import { CORE_ERRORS } from '../src/errors.js';
import { MARKET_ERRORS } from '../src/market/errors.js';
import { CLEANSING_ERRORS } from '../src/cleansing/errors.js';
import { PLUGIN_ERRORS } from '../src/plugin/errors.js';
// Gateway packages depend on core, so their catalogs are read by path, not by package name.
import { CTP_ERRORS } from '../../gateway-ctp/src/errors.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const catalogs: Record<string, Record<string, { message: string; retryable: boolean }>> = {
  '@mdhub/protocol': PROTOCOL_ERRORS, '@mdhub/core': CORE_ERRORS, '@mdhub/core market': MARKET_ERRORS, '@mdhub/core cleansing': CLEANSING_ERRORS, '@mdhub/core plugin': PLUGIN_ERRORS,
  '@mdhub/gateway-ctp': CTP_ERRORS, '@mdhub/client': CLIENT_ERRORS,
};

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...sourceFiles(p));
    else if (e.name.endsWith('.ts')) out.push(p);
  }
  return out;
}

describe('error catalog and docs/reference/errors.md', () => {
  const doc = fs.readFileSync(path.join(ROOT, 'docs/reference/errors.md'), 'utf8');
  const all = new Map<string, { message: string }>();
  for (const cat of Object.values(catalogs)) for (const [code, v] of Object.entries(cat)) {
    const prev = all.get(code);
    if (prev) expect(prev.message, `${code} has two meanings`).toBe(v.message);
    all.set(code, v);
  }

  it('every code used in a source file is in a catalog', () => {
    const used = new Set<string>();
    for (const pkg of fs.readdirSync(path.join(ROOT, 'packages'))) {
      const src = path.join(ROOT, 'packages', pkg, 'src');
      if (!fs.existsSync(src)) continue;
      for (const f of sourceFiles(src)) for (const m of fs.readFileSync(f, 'utf8').matchAll(/MDH_ERR_[A-Z0-9_]+\*?/g)) {
        if (!m[0].endsWith('*') && !m[0].endsWith('_')) used.add(m[0]); // `MDH_ERR_PLUGIN_*` in prose is a family, not a code
      }
    }
    expect([...used].filter((c) => !all.has(c))).toEqual([]);
  });

  it('every catalog code is documented with its message, and the doc invents none', () => {
    for (const [code, v] of all) {
      const line = doc.split('\n').find((l) => l.startsWith(`| \`${code}\``));
      expect(line, `${code} missing from errors.md`).toBeDefined();
      expect(line).toContain(v.message);
    }
    const documented = [...doc.matchAll(/^\| `(MDH_ERR_[A-Z0-9_]+)`/gm)].map((m) => m[1]!);
    expect(documented.filter((c) => !all.has(c))).toEqual([]);
  });
});
