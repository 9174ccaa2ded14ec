/**
 * Bad configuration never takes the hub down silently, and a start that cannot succeed leaves nothing
 * behind. One real `mdhub start` per error class (the table of every setting runs in process:
 * packages/core/test/config.test.ts): bad rows are skipped with named errors while the good ones run;
 * an invalid setting, a bound address, an unsupported, unreachable or un-migrated database, a second hub
 * on one data folder each exit non-zero with a named error naming the setting and the value, and leave
 * no lock file, no ready file and no process.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SqlRepository } from '@mdhub/core/internal';
import { parseDbUrl } from '@mdhub/core';
import { CLI, SIM_ANCHOR, TEST_ACTOR, alive, configure, startHubProcess, type HubProcess } from './helpers.js';

let hubs: HubProcess[] = [];
afterEach(async () => {
  for (const h of hubs) await h.stop();
  hubs = [];
});

const tmp = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'mdhub-e2e-'));

/** Pids of gateway child processes on this machine. */
function gatewayPids(): Set<number> {
  const out = new Set<number>();
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (fs.readFileSync(`/proc/${d}/cmdline`, 'utf8').includes('gateway/host.js')) out.add(Number(d));
    } catch { /* gone */ }
  }
  return out;
}

/** Runs `mdhub start` expecting it to fail; asserts the exit, the code, and that nothing is left behind. */
function failedStart(args: string[], code: string, dataDir = tmp(), env: NodeJS.ProcessEnv = process.env): string {
  const before = gatewayPids();
  const r = spawnSync(process.execPath, [CLI, 'start', '--data-dir', dataDir, '--sim-anchor', SIM_ANCHOR, '--hub-id', `e2e${process.pid}`, ...args], { encoding: 'utf8', timeout: 40_000, env });
  expect(r.status, r.stderr).toBe(1);
  expect(r.stderr).toContain(code);
  for (const f of ['hub.pid', 'ready.json', 'children.json', 'control.sock']) expect(fs.existsSync(path.join(dataDir, f)), f).toBe(false);
  const left = [...gatewayPids()].filter((p) => !before.has(p) && alive(p));
  expect(left, 'gateway processes left behind').toEqual([]);
  return r.stderr;
}

async function freePort(): Promise<{ port: number; close: () => Promise<void> }> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  return { port: (s.address() as net.AddressInfo).port, close: () => new Promise((r) => s.close(() => r())) };
}

describe('configuration errors', () => {
  it('skips bad rows with named errors (a garbage instrument pattern too) and runs the good ones', async () => {
    const dataDir = tmp();
    await configure(dataDir, async (s) => {
      await s.addGroup(TEST_ACTOR, { name: 'default', policy: 'race', instruments: ['all'] });
      await s.addGateway(TEST_ACTOR, { id: 'good', plugin: '@mdhub/gateway-sim', config: { market: { seed: 20260101 } } });
      await s.addGateway(TEST_ACTOR, { id: 'off', plugin: '@mdhub/gateway-sim', config: {}, enabled: false });
    });
    // Rows written behind the service's back (a hand edit): each is skipped with its own named error.
    const repo = new SqlRepository(parseDbUrl(`sqlite:${path.join(dataDir, 'mdhub.sqlite')}`) as never);
    await repo.connect();
    const now = Date.now();
    const gw = { plugin: '@mdhub/gateway-sim', account_id: null, enabled: 1, hub_id: null, notes: '', created_at: now, updated_at: now };
    await repo.knex('gateways').insert({ ...gw, id: 'badcfg', config: JSON.stringify({ latency: { medianMs: -5 } }) });
    await repo.knex('gateways').insert({ ...gw, id: 'noplugin', plugin: '@mdhub/gateway-nope', config: '{}' });
    await repo.knex('gateways').insert({ ...gw, id: 'garbled', config: '{not json' });
    await repo.knex('instrument_groups').insert({ name: 'junk', policy: 'priority', instruments: JSON.stringify(['garbage']), sources: '[]', canaries: '[]', cleansing: '{}', ord: 0, created_at: now, updated_at: now });
    await repo.close();

    const hub = await startHubProcess([], { dataDir });
    hubs.push(hub);
    expect(hub.ready.sources).toEqual(['good']);
    const out = hub.output();
    expect(out).toContain('MDH_ERR_PLUGIN_BAD_CONFIG');
    expect(out).toContain('latency.medianMs');
    expect(out).toContain('MDH_ERR_PLUGIN_NOT_REGISTERED');
    expect(out).toContain('MDH_ERR_DB_BAD_ROW');
    expect(out).toContain('garbled');
    expect(out).toMatch(/junk.*garbage|garbage.*junk/);
    const health = await (await fetch(`http://${hub.ready.http}/healthz`)).json() as { status: string; reasons: string[]; sources: Array<{ id: string }> };
    expect(health.sources.map((s) => s.id)).toEqual(['good']);
    expect(health.status).toBe('degraded');
    expect(health.reasons.join('\n')).toContain('instrument_groups/junk');
  });

  it('an invalid setting (a send high-water mark of 2^31, a misspelled key) is a named error naming it, with nothing left behind', () => {
    const e1 = failedStart(['--send-hwm', String(2 ** 31)], 'MDH_ERR_CONFIG_INVALID');
    expect(e1).toContain('sendHighWaterMark');
    expect(e1).toContain('--send-hwm');
    const file = path.join(tmp(), 'bad.json');
    fs.writeFileSync(file, JSON.stringify({ pubb: 'tcp://127.0.0.1:7801', sendHighWatermark: 5 }));
    const e2 = failedStart(['--config', file], 'MDH_ERR_CONFIG_INVALID');
    expect(e2).toContain('pubb');
    expect(e2).toContain(file);
    const r = spawnSync(process.execPath, [CLI, 'start', '--pubb', 'x'], { encoding: 'utf8', timeout: 20_000 });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('MDH_ERR_CLI_USAGE');
    expect(r.stderr).toContain('--pubb');
  });

  it('an address in use names the setting: --pub, --snapshot or --http', async () => {
    const busy = await freePort();
    try {
      const any = ['--pub', 'tcp://127.0.0.1:*', '--snapshot', 'tcp://127.0.0.1:*', '--http', '127.0.0.1:0'];
      const set = (flag: string, value: string): string[] => { const a = [...any]; a[a.indexOf(flag) + 1] = value; return a; };
      expect(failedStart(set('--pub', `tcp://127.0.0.1:${busy.port}`), 'MDH_ERR_CONFIG_ADDRESS_IN_USE')).toContain(`--pub tcp://127.0.0.1:${busy.port}`);
      expect(failedStart(set('--snapshot', `tcp://127.0.0.1:${busy.port}`), 'MDH_ERR_CONFIG_ADDRESS_IN_USE')).toContain(`--snapshot tcp://127.0.0.1:${busy.port}`);
      // HTTP binds after the gateways started: they are stopped again.
      expect(failedStart(set('--http', `127.0.0.1:${busy.port}`), 'MDH_ERR_CONFIG_ADDRESS_IN_USE')).toContain(`--http 127.0.0.1:${busy.port}`);
    } finally {
      await busy.close();
    }
  });

  it('refuses an unsupported, unreachable or un-migrated database with a named error, never falling back to SQLite', async () => {
    const dataDir = tmp();
    const e1 = failedStart(['--db', 'mysql:root:secret@127.0.0.1/test', '--http', 'off'], 'MDH_ERR_DB_UNSUPPORTED_URL', dataDir);
    expect(e1).not.toContain('secret');
    expect(fs.existsSync(path.join(dataDir, 'mdhub.sqlite'))).toBe(false);
    expect(fs.readdirSync(dataDir).filter((f) => f.includes('mysql'))).toEqual([]);
    const port = await freePort();
    await port.close();
    const e2 = failedStart(['--db', `mysql://root:secret@127.0.0.1:${port.port}/test`, '--http', 'off'], 'MDH_ERR_DB_UNREACHABLE', dataDir);
    expect(e2).not.toContain('secret');
    expect(e2).toContain(`127.0.0.1:${port.port}`);
    const e3 = failedStart(['--db', 'sqlite:', '--http', 'off'], 'MDH_ERR_DB_UNSUPPORTED_URL', dataDir);
    expect(e3).toContain('sqlite:');
    // An external database without mdhub's tables: the message says how to fix it.
    const empty = path.join(tmp(), 'empty.sqlite');
    fs.writeFileSync(empty, '');
    const e4 = failedStart(['--http', 'off'], 'MDH_ERR_DB_NOT_MIGRATED', dataDir, { ...process.env, MDHUB_DB_URL: `sqlite:${empty}` });
    expect(e4).toContain('mdhub db migrate');
  });

  it('refuses a second hub on the same data folder, and an unknown command, with named errors', async () => {
    const hub = await startHubProcess();
    hubs.push(hub);
    const r = spawnSync(process.execPath, [CLI, 'start', '--data-dir', hub.dataDir, '--pub', 'tcp://127.0.0.1:*', '--snapshot', 'tcp://127.0.0.1:*', '--http', 'off'], { encoding: 'utf8', timeout: 20_000 });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('MDH_ERR_HUB_ALREADY_RUNNING');
    expect(fs.existsSync(path.join(hub.dataDir, 'hub.pid'))).toBe(true); // the running hub's lock is untouched
    const r3 = spawnSync(process.execPath, [CLI, 'frobnicate'], { encoding: 'utf8', timeout: 20_000 });
    expect(r3.status).toBe(2);
    expect(r3.stderr).toContain('MDH_ERR_CLI_USAGE');
  });
});
