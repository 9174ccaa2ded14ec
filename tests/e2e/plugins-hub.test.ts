/**
 * Plugins in a running hub, registered the way an operator does it (`npx mdhub plugin add`): a filter
 * plugin applied per source before the race and removed live; a filter that throws on every call is
 * disabled for each source with a status event while the sources keep flowing; gateway plugins that
 * throw in create or start get their named error and go through the restart policy while the others
 * publish.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Tick } from '@mdhub/protocol';
import { connect } from '@mdhub/client';
import { CLI, TEST_ACTOR, configure, mdhub, sleep, startHubProcess, useHubAndClient, waitFor, watchHub } from './helpers.js';

const fx = useHubAndClient();

const cli = (dataDir: string, ...args: string[]): Promise<string> => mdhub([...args, '--data-dir', dataDir]);

const BLOCK = `
import { definePlugin } from '@mdhub/core/plugin';
export const plugin = definePlugin({
  name: 'test-block-symbol', kind: 'filter', coreVersion: '>=0.1.0',
  configSchema: { safeParse: (v) => (typeof v?.symbol === 'string' ? { success: true, data: v } : { success: false, error: { issues: [{ path: ['symbol'], message: 'required' }] } }) },
  create: ({ config }) => ({
    name: 'test-block-symbol', rules: ['blocked_symbol'],
    check: (tick) => (tick.symbol === config.symbol ? { rule: 'blocked_symbol', reason: 'blocked by test plugin' } : null),
  }),
});`;

const THROWS = `
export const plugin = {
  name: 'test-throws', kind: 'filter', coreVersion: '>=0.1.0', configSchema: { safeParse: (v) => ({ success: true, data: v }) },
  create: () => ({ name: 'test-throws', rules: ['never'], check: () => { throw new Error('filter bug'); } }),
};`;

const gatewayPlugin = (name: string, where: 'create' | 'start' | 'login'): string => `
import { PluginError } from '@mdhub/core/plugin';
export const plugin = {
  name: '${name}', kind: 'gateway', coreVersion: '>=0.1.0', defaultName: 'BAD', simulated: true, configSchema: { safeParse: (v) => ({ success: true, data: v }) },
  create: (ctx) => {
    ${where === 'create' ? "throw new Error('create exploded');" : ''}
    return {
      start: async () => {
        ctx.setState('connecting');
        ${where === 'login' ? "throw new PluginError('MDH_ERR_GATEWAY_LOGIN_FAILED', { reason: 'wrong password', vendor_code: 3 });" : "throw new Error('start exploded');"}
      },
      stop: async () => {},
    };
  },
};`;

// The plugin files live inside the repository so that `@mdhub/core/plugin` resolves from them.
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});
function pluginDir(): string {
  const dir = path.join(path.dirname(CLI), '../../../tests/e2e/.plugins', `${process.pid}-${Math.random().toString(36).slice(2, 8)}`);
  fs.mkdirSync(dir, { recursive: true });
  dirs.push(dir);
  return dir;
}

describe('plugins in the hub', () => {
  it('a filter plugin registered in the database applies before the race, and disabling it applies live', async () => {
    const files = pluginDir();
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mdhub-e2e-'));
    const file = path.join(files, 'block.mjs');
    fs.writeFileSync(file, BLOCK);
    expect(await cli(dataDir, 'plugin', 'add', file, '--config', JSON.stringify({ symbol: 'rb2701' }))).toContain('registered filter plugin');
    const hub = fx.hub = await startHubProcess([], { dataDir });
    const client = fx.client = connect({ endpoint: hub.ready.pub });
    const got: Tick[] = [];
    client.subscribe('*.SHFE', (t) => got.push(t));
    await waitFor('SHFE ticks', () => got.length > 50);
    await sleep(2000);
    expect(got.some((t) => t.symbol === 'rb2701')).toBe(false);
    expect(got.some((t) => t.symbol === 'rb2705')).toBe(true);
    const metrics = await (await fetch(`http://${hub.ready.http}/metrics`)).text();
    const blocked = [...metrics.matchAll(/^mdhub_cleansing_rejected_total\{source="[^"]+",rule="blocked_symbol",group="[^"]+"\} (\d+)$/gm)];
    expect(blocked.length).toBe(3); // every source's copies are rejected
    expect(blocked.every((m) => Number(m[1]) > 0)).toBe(true);
    // Disabled in the database: the running hub drops the filter within a poll, and rb2701 flows.
    await cli(dataDir, 'plugin', 'disable', file);
    await waitFor('rb2701 after the filter is disabled', () => got.some((t) => t.symbol === 'rb2701'), 15_000);
    const after = await (await fetch(`http://${hub.ready.http}/metrics`)).text();
    const blockedAfter = [...after.matchAll(/^mdhub_cleansing_rejected_total\{source="[^"]+",rule="blocked_symbol",group="[^"]+"\} (\d+)$/gm)];
    expect(blockedAfter.map((m) => Number(m[1])).reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(blocked.map((m) => Number(m[1])).reduce((a, b) => a + b, 0)); // counters never go back
  });

  it('a filter that throws on every call is disabled for each source with a status event; the sources keep flowing', async () => {
    const files = pluginDir();
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mdhub-e2e-'));
    const file = path.join(files, 'throws.mjs');
    fs.writeFileSync(file, THROWS);
    await cli(dataDir, 'plugin', 'add', file);
    const hub = fx.hub = await startHubProcess([], { dataDir });
    const w = watchHub(hub.ready.pub);
    fx.client = w.client;
    const { ticks: got, statuses } = w;
    await waitFor('a filter_disabled event per source', () => new Set(statuses.filter((s) => s['kind'] === 'filter_disabled').map((s) => s['source'])).size === 3, 20_000);
    const disabled = statuses.filter((s) => s['kind'] === 'filter_disabled');
    expect(disabled.every((s) => s['filter'] === 'test-throws' && s['error'] === 'filter bug')).toBe(true);
    const n = got.length;
    await sleep(1500);
    expect(got.length).toBeGreaterThan(n + 100); // ticks keep flowing from every source
    expect(new Set(got.slice(n).map((t) => t.source)).size).toBeGreaterThanOrEqual(2);
    const metrics = await (await fetch(`http://${hub.ready.http}/metrics`)).text();
    expect([...metrics.matchAll(/^mdhub_filter_disabled\{filter="test-throws",source="[^"]+"\} 1$/gm)].length).toBe(3);
    expect(metrics).toMatch(/^mdhub_filter_errors_total\{filter="test-throws",source="sim-a"\} [1-9]\d*$/m);
    expect(hub.output()).toContain('MDH_ERR_PLUGIN_FILTER_FAILED');
  });

  it('gateway plugins that throw in create or start get their named error and the restart policy; the others publish', async () => {
    const files = pluginDir();
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mdhub-e2e-'));
    const badCreate = path.join(files, 'bad-create.mjs');
    const badStart = path.join(files, 'bad-start.mjs');
    fs.writeFileSync(badCreate, gatewayPlugin('bad-create', 'create'));
    fs.writeFileSync(badStart, gatewayPlugin('bad-start', 'start'));
    const badLogin = path.join(files, 'bad-login.mjs');
    fs.writeFileSync(badLogin, gatewayPlugin('bad-login', 'login'));
    await configure(dataDir, async (s) => {
      await s.addGroup(TEST_ACTOR, { name: 'default', policy: 'race', instruments: ['all'] });
      await s.addGateway(TEST_ACTOR, { id: 'good', plugin: '@mdhub/gateway-sim', config: {} });
      await s.addGateway(TEST_ACTOR, { id: 'boom-create', plugin: badCreate, config: {} });
      await s.addGateway(TEST_ACTOR, { id: 'boom-start', plugin: badStart, config: {} });
      await s.addGateway(TEST_ACTOR, { id: 'no-login', plugin: badLogin, config: {} });
    });
    const hub = fx.hub = await startHubProcess([], { dataDir });
    const w = watchHub(hub.ready.pub);
    fx.client = w.client;
    const { ticks: got, statuses } = w;
    const exits = (id: string): Array<Record<string, unknown>> => statuses.filter((s) => s['kind'] === 'source_exit' && s['source'] === id);
    await waitFor('two restarts of each failing gateway', () => exits('boom-create').length >= 2 && exits('boom-start').length >= 2, 20_000);
    // restart policy: attempts count up and the backoff grows
    const delays = exits('boom-start').map((e) => Number(e['restart_in_ms']));
    expect(delays[1]!).toBeGreaterThan(delays[0]!);
    const failed = statuses.filter((s) => s['kind'] === 'source_failed');
    expect(failed.some((s) => s['source'] === 'boom-create' && s['code'] === 'MDH_ERR_PLUGIN_CREATE_FAILED' && String(s['message']).includes('create exploded'))).toBe(true);
    expect(failed.some((s) => s['source'] === 'boom-start' && s['code'] === 'MDH_ERR_GATEWAY_START_FAILED' && String(s['message']).includes('start exploded'))).toBe(true);
    await waitFor('ticks from the good source', () => got.length > 100, 20_000);
    // A refused login is not retryable: one attempt, then no restart loop that could lock the account.
    const login = exits('no-login');
    expect(login).toHaveLength(1);
    expect(login[0]).toMatchObject({ restart_in_ms: null, gave_up: true, failure: 'MDH_ERR_GATEWAY_LOGIN_FAILED' });
    expect(failed.some((s) => s['source'] === 'no-login' && s['code'] === 'MDH_ERR_GATEWAY_LOGIN_FAILED' && s['retryable'] === false)).toBe(true);
    expect(new Set(got.map((t) => t.source))).toEqual(new Set(['good']));
    const health = await (await fetch(`http://${hub.ready.http}/healthz`)).json() as { status: string };
    expect(health.status).not.toBe('down');
  });
});
