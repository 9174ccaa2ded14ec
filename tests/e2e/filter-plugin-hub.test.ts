/**
 * A third-party filter plugin loaded by the running hub from its configuration (cleansing.plugins +
 * cleansing.options.filters): its rejections are applied per source before the race and counted under
 * its rule on /metrics.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Tick } from '@mdhub/protocol';
import { connect } from '@mdhub/client';
import { sleep, startHubProcess, useHubAndClient, waitFor } from './helpers.js';

const fx = useHubAndClient();

const PLUGIN = `
export const plugin = {
  name: 'test-block-symbol',
  kind: 'filter',
  coreVersion: '>=0.1.0',
  configSchema: { safeParse: (v) => (typeof v?.symbol === 'string' ? { success: true, data: v } : { success: false, error: { issues: [{ path: ['symbol'], message: 'required' }] } }) },
  create: ({ config }) => ({
    name: 'test-block-symbol',
    rules: ['blocked_symbol'],
    check: (tick) => (tick.symbol === config.symbol ? { rule: 'blocked_symbol', reason: 'blocked by test plugin' } : null),
  }),
};
`;

describe('filter plugin in the hub', () => {
  it('loads a filter plugin named in the configuration and applies it before the race', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mdhub-e2e-'));
    const pluginFile = path.join(dir, 'block-plugin.mjs');
    fs.writeFileSync(pluginFile, PLUGIN);
    const configFile = path.join(dir, 'config.json');
    fs.writeFileSync(configFile, JSON.stringify({
      cleansing: { enabled: true, plugins: [pluginFile], options: { filters: [{ plugin: 'test-block-symbol', config: { symbol: 'rb2701' } }] } },
    }));
    const hub = fx.hub = await startHubProcess(['--config', configFile], { dataDir: path.join(dir, 'data') });
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
  });
});
