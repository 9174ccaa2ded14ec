/**
 * The plugin API is light: `@mdhub/core/plugin` and the gateway child's entry reach nothing of the
 * runtime (knex, drivers, the hub, the data plane, the container), by their static import graph and by
 * what a real gateway child process has loaded once its plugin runs.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const CORE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const DIST = path.join(CORE, 'dist');
const RUNTIME_PACKAGES = ['knex', 'better-sqlite3', 'mysql2', 'mongodb', 'tsyringe', 'reflect-metadata', 'pino', 'prom-client'];
const RUNTIME_FILES = /\/dist\/(hub|composition|cli|index|internal)\.js$|\/dist\/(store|dataplane|service|hub|cli)\//;

/** Static import graph of a compiled module: the files it reaches and the bare packages it names. */
function graph(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const todo = [entry];
  while (todo.length > 0) {
    const f = todo.pop()!;
    if (files.has(f)) continue;
    files.add(f);
    const src = fs.readFileSync(f, 'utf8');
    for (const m of src.matchAll(/^\s*(?:import|export)\s[^;]*?from\s+'([^']+)'|^\s*import\s+'([^']+)'|import\('([^']+)'\)/gm)) {
      const spec = m[1] ?? m[2] ?? m[3]!;
      if (spec.startsWith('.')) todo.push(path.resolve(path.dirname(f), spec));
      else if (!spec.startsWith('node:')) packages.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);
    }
  }
  return { files, packages };
}

describe('light plugin API', () => {
  it('@mdhub/core/plugin imports only types, semver, the protocol and the market module', () => {
    const g = graph(path.join(DIST, 'plugin-api.js'));
    expect([...g.packages].sort()).toEqual(['@mdhub/protocol', 'semver']);
    expect([...g.files].filter((f) => RUNTIME_FILES.test(f))).toEqual([]);
  });

  it("the gateway child's entry reaches its link and the plugin API, nothing of the runtime", () => {
    const g = graph(path.join(DIST, 'gateway/host.js'));
    expect([...g.packages].sort()).toEqual(['@mdhub/protocol', 'semver', 'zeromq']);
    expect([...g.files].filter((f) => RUNTIME_FILES.test(f))).toEqual([]);
  });

  it('a process that loads the host entry and the simulated gateway plugin has no runtime package loaded', () => {
    const script = `
      import { createRequire } from 'node:module';
      await import(${JSON.stringify(path.join(DIST, 'gateway/host.js'))});
      const { plugin } = await import('@mdhub/gateway-sim');
      const { checkManifest } = await import('@mdhub/core/plugin');
      checkManifest(plugin, { kind: 'gateway' });
      const loaded = Object.keys(createRequire(import.meta.url).cache);
      console.log(JSON.stringify(loaded));
      process.exit(0);`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: CORE, encoding: 'utf8', timeout: 30_000 });
    expect(r.status, r.stderr).toBe(0);
    const loaded = JSON.parse(r.stdout.trim().split('\n').pop()!) as string[];
    expect(loaded.some((f) => f.includes('/zeromq/'))).toBe(true); // the link: proves the cache is what we read
    for (const pkg of RUNTIME_PACKAGES) expect(loaded.filter((f) => f.includes(`/node_modules/${pkg}/`)), pkg).toEqual([]);
  });
});
