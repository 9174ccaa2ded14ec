/**
 * One manifest checker for every plugin kind, each failure with its own code; definePlugin infers the
 * configuration type from the schema; the registry loads packages and checks dependencies.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { CatalogError } from '@mdhub/protocol';
import { PluginRegistry } from '../../src/plugin/registry.js';
import { checkManifest, definePlugin, parsePluginConfig } from '../../src/plugin/manifest.js';
import type { Gateway } from '../../src/plugin/manifest.js';
import { code, codeOf } from '../named-errors.js';


const idle: Gateway = { start: async () => {}, stop: async () => {} };
const gw = definePlugin({
  kind: 'gateway', name: 'test-gw', version: '1.2.0', coreVersion: '^0.1.0', defaultName: 'T',
  configSchema: z.strictObject({ fronts: z.array(z.string()).default([]), retries: z.number().int().default(3) }),
  accountFields: ['fronts', 'password'],
  create: (ctx) => {
    const n: number = ctx.config.retries; // typed from the schema, no cast
    const f: string[] = ctx.config.fronts;
    // @ts-expect-error retries is a number, not a string
    const wrong: string = ctx.config.retries;
    void n; void f; void wrong;
    return idle;
  },
});

describe('checkManifest', () => {
  it('accepts each kind, and refuses the wrong kind with MDH_ERR_PLUGIN_WRONG_KIND', () => {
    expect(checkManifest(gw, { kind: 'gateway' }).name).toBe('test-gw');
    const kinds = ['filter', 'health-check', 'sink'] as const;
    for (const kind of kinds) {
      const m = { name: `x-${kind}`, kind, coreVersion: '>=0.1.0', configSchema: z.object({}), create: () => ({ name: 'x', rules: [], check: () => null }) };
      expect(checkManifest(m, { kind }).kind).toBe(kind);
      expect(code(() => checkManifest(m, { kind: 'gateway' }))).toBe('MDH_ERR_PLUGIN_WRONG_KIND');
    }
  });

  it('gives one named code per failure, naming the field', () => {
    const cases: Array<[unknown, string, string?]> = [
      [null, 'MDH_ERR_PLUGIN_BAD_MANIFEST', '(root)'],
      [{ ...gw, name: '' }, 'MDH_ERR_PLUGIN_BAD_MANIFEST', 'name'],
      [{ ...gw, kind: 'transmogrifier' }, 'MDH_ERR_PLUGIN_BAD_MANIFEST', 'kind'],
      [{ ...gw, coreVersion: 'soon' }, 'MDH_ERR_PLUGIN_BAD_MANIFEST', 'coreVersion'],
      [{ ...gw, coreVersion: '^2.0.0' }, 'MDH_ERR_PLUGIN_INCOMPATIBLE'],
      [{ ...gw, version: 'one' }, 'MDH_ERR_PLUGIN_BAD_MANIFEST', 'version'],
      [{ ...gw, dependencies: ['x'] }, 'MDH_ERR_PLUGIN_BAD_MANIFEST', 'dependencies'],
      [{ ...gw, dependencies: { other: 'latest-ish' } }, 'MDH_ERR_PLUGIN_BAD_MANIFEST', 'dependencies.other'],
      [{ ...gw, configSchema: {} }, 'MDH_ERR_PLUGIN_BAD_MANIFEST', 'configSchema'],
      [{ ...gw, create: 'new' }, 'MDH_ERR_PLUGIN_BAD_MANIFEST', 'create'],
      [{ ...gw, defaultName: undefined }, 'MDH_ERR_PLUGIN_BAD_MANIFEST', 'defaultName'],
      [{ ...gw, accountFields: ['password', 'pin'] }, 'MDH_ERR_PLUGIN_BAD_MANIFEST', 'accountFields'],
      [{ ...gw, kind: 'filter', name: 'price_jump' }, 'MDH_ERR_PLUGIN_BAD_MANIFEST', 'name'],
    ];
    for (const [m, want, field] of cases) {
      let err: unknown;
      try {
        checkManifest(m);
      } catch (e) {
        err = e;
      }
      expect(err instanceof CatalogError ? err.code : String(err), JSON.stringify(field)).toBe(want);
      if (field) expect((err as CatalogError).details['field']).toBe(field);
    }
  });

  it('validates an instance configuration with MDH_ERR_PLUGIN_BAD_CONFIG naming the instance and the path', () => {
    expect(parsePluginConfig(gw, 'a', {})).toEqual({ fronts: [], retries: 3 });
    let err: CatalogError | undefined;
    try {
      parsePluginConfig(gw, 'a', { retries: 'x', retires: 1 });
    } catch (e) {
      err = e as CatalogError;
    }
    expect(err?.code).toBe('MDH_ERR_PLUGIN_BAD_CONFIG');
    expect(err?.details).toMatchObject({ plugin: 'test-gw', instance: 'a' });
    expect(String(err?.details['reason'])).toMatch(/retries/);
    expect(String(err?.details['reason'])).toMatch(/retires/); // a misspelled key is an error, not ignored
  });
});

describe('PluginRegistry', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mdhub-plugins-'));
  const write = (name: string, body: string): string => {
    const f = path.join(dir, name);
    fs.writeFileSync(f, body);
    return pathToFileURL(f).href;
  };
  const manifest = (extra: string): string => `export const plugin = { kind: 'gateway', defaultName: 'X', configSchema: { safeParse: (v) => ({ success: true, data: v }) }, create: () => ({ start: async () => {}, stop: async () => {} }), ${extra} };`;
  const valid = write('valid.mjs', manifest(`name: 'valid', version: '2.1.0', coreVersion: '^0.1.0'`));
  const dependent = write('dependent.mjs', manifest(`name: 'dependent', coreVersion: '^0.1.0', dependencies: { [${JSON.stringify(valid)}]: '^2.0.0' }`));
  const tooNew = write('dependent-new.mjs', manifest(`name: 'dependent-new', coreVersion: '^0.1.0', dependencies: { [${JSON.stringify(valid)}]: '^3.0.0' }`));
  const malformed = write('malformed.mjs', `export default { name: 'malformed', kind: 'gateway' };`);
  const oldCore = write('old-core.mjs', manifest(`name: 'old-core', coreVersion: '^0.0.1'`));
  const broken = write('broken.mjs', `export const plugin = ; // syntax error`);

  it('loads a valid package once, and names every way a package can be unusable', async () => {
    const reg = new PluginRegistry();
    const a = await reg.load(valid, 'gateway');
    expect(a.name).toBe('valid');
    expect(await reg.load(valid, 'gateway')).toBe(a);
    expect(await codeOf(reg.load(path.join(dir, 'missing.mjs'), 'gateway'))).toBe('MDH_ERR_PLUGIN_NOT_FOUND');
    expect(await codeOf(reg.load('@mdhub/gateway-nope', 'gateway'))).toBe('MDH_ERR_PLUGIN_NOT_FOUND');
    expect(await codeOf(reg.load(broken, 'gateway'))).toBe('MDH_ERR_PLUGIN_NOT_FOUND');
    expect(await codeOf(reg.load(malformed, 'gateway'))).toBe('MDH_ERR_PLUGIN_BAD_MANIFEST');
    expect(await codeOf(reg.load(oldCore, 'gateway'))).toBe('MDH_ERR_PLUGIN_INCOMPATIBLE');
    expect(await codeOf(reg.load(valid, 'filter'))).toBe('MDH_ERR_PLUGIN_WRONG_KIND');
  });

  it('checks dependencies against what is registered and enabled, and their versions', async () => {
    const reg = new PluginRegistry();
    const d = await reg.load(dependent, 'gateway');
    expect(await codeOf(reg.checkDependencies(d, [{ package: valid, kind: 'gateway', enabled: true }]))).toBe('no error');
    expect(await codeOf(reg.checkDependencies(d, [{ package: valid, kind: 'gateway', enabled: false }]))).toBe('MDH_ERR_PLUGIN_MISSING_DEPENDENCY');
    expect(await codeOf(reg.checkDependencies(d, []))).toBe('MDH_ERR_PLUGIN_MISSING_DEPENDENCY');
    const n = await reg.load(tooNew, 'gateway');
    expect(await codeOf(reg.checkDependencies(n, [{ package: valid, kind: 'gateway', enabled: true }]))).toBe('MDH_ERR_PLUGIN_MISSING_DEPENDENCY');
  });
});
