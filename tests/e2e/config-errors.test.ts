/**
 * Bad configuration never takes the hub down silently: bad gateway rows are skipped with named errors
 * while the good ones run; an unsupported or unreachable database and a second hub on one data folder
 * are named errors with a non-zero exit, never a silent fall-back.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Store } from '@mdhub/core';
import { CLI, SIM_ANCHOR, startHubProcess, type HubProcess } from './helpers.js';

let hubs: HubProcess[] = [];
afterEach(async () => {
  for (const h of hubs) await h.stop();
  hubs = [];
});

const tmp = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'mdhub-e2e-'));

describe('configuration errors', () => {
  it('skips bad gateway rows with named errors and runs the good ones', async () => {
    const dataDir = tmp();
    const store = await Store.open(`sqlite:${path.join(dataDir, 'mdhub.sqlite')}`);
    await store.putGateway({ id: 'good', plugin: '@mdhub/gateway-sim', enabled: true, priority: 1, config: { market: { seed: 20260101 } } });
    await store.putGateway({ id: 'badcfg', plugin: '@mdhub/gateway-sim', enabled: true, priority: 2, config: { latency: { medianMs: -5 } } });
    await store.putGateway({ id: 'noplugin', plugin: '@mdhub/gateway-nope', enabled: true, priority: 3, config: {} });
    await store.putGateway({ id: 'off', plugin: '@mdhub/gateway-sim', enabled: false, priority: 4, config: {} });
    await store.knex('gateways').insert({ id: 'garbled', plugin: '@mdhub/gateway-sim', enabled: 1, priority: 5, config: '{not json' });
    await store.close();
    const hub = await startHubProcess([], { dataDir });
    hubs.push(hub);
    expect(hub.ready.sources).toEqual(['good']);
    const out = hub.output();
    expect(out).toContain('MDH_ERR_PLUGIN_BAD_CONFIG');
    expect(out).toContain('latency.medianMs');
    expect(out).toContain('MDH_ERR_PLUGIN_NOT_FOUND');
    expect(out).toContain('MDH_ERR_DB_BAD_ROW');
    expect(out).toContain('garbled');
    const health = await (await fetch(`http://${hub.ready.http}/healthz`)).json() as { sources: Array<{ id: string }> };
    expect(health.sources.map((s) => s.id)).toEqual(['good']);
  });

  it('refuses an unsupported database URL with a named error instead of falling back to SQLite', () => {
    const dataDir = tmp();
    const r = spawnSync(process.execPath, [CLI, 'start', '--data-dir', dataDir, '--db', 'mysql://root:secret@127.0.0.1:3306/test', '--http', 'off', '--sim-anchor', SIM_ANCHOR], { encoding: 'utf8', timeout: 20_000 });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('MDH_ERR_DB_UNSUPPORTED_URL');
    expect(r.stderr).not.toContain('secret');
    expect(fs.existsSync(path.join(dataDir, 'mdhub.sqlite'))).toBe(false);
  });

  it('refuses a second hub on the same data folder, and a bad config file, with named errors', async () => {
    const hub = await startHubProcess();
    hubs.push(hub);
    const r = spawnSync(process.execPath, [CLI, 'start', '--data-dir', hub.dataDir, '--pub', 'tcp://127.0.0.1:*', '--snapshot', 'tcp://127.0.0.1:*', '--http', 'off'], { encoding: 'utf8', timeout: 20_000 });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('MDH_ERR_HUB_ALREADY_RUNNING');
    const file = path.join(tmp(), 'bad.json');
    fs.writeFileSync(file, JSON.stringify({ pub: 42 }));
    const r2 = spawnSync(process.execPath, [CLI, 'start', '--config', file], { encoding: 'utf8', timeout: 20_000 });
    expect(r2.status).toBe(1);
    expect(r2.stderr).toContain('MDH_ERR_CONFIG_INVALID');
    expect(r2.stderr).toContain('pub');
    const r3 = spawnSync(process.execPath, [CLI, 'frobnicate'], { encoding: 'utf8', timeout: 20_000 });
    expect(r3.status).toBe(2);
    expect(r3.stderr).toContain('MDH_ERR_CLI_USAGE');
  });
});
