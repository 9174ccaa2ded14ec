import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { MarketTick } from '@mdhub/protocol';
import type { GatewayContext, GatewayState } from '@mdhub/core/plugin';
import { checkManifest, marketCalendar, parsePluginConfig, simulatedClock } from '@mdhub/core/plugin';
import { plugin } from './jsonl-replay.js';

const T = Date.parse('2026-11-25T09:40:00.000+08:00');

function context(config: unknown): { ctx: GatewayContext<never>; emitted: MarketTick[]; states: GatewayState[]; logs: string[] } {
  const emitted: MarketTick[] = [];
  const states: GatewayState[] = [];
  const logs: string[] = [];
  const ctx = {
    id: 'replay', hubId: 'h', runId: 'r', config: parsePluginConfig(plugin, 'replay', config),
    clock: simulatedClock({ anchorMs: T + 3_600_000, rate: 1 }), calendar: marketCalendar(),
    emit: (t: readonly MarketTick[]) => emitted.push(...t), setState: (s: GatewayState) => states.push(s), log: (_l: string, m: string) => logs.push(m),
  };
  return { ctx: ctx as unknown as GatewayContext<never>, emitted, states, logs };
}

describe('example gateway plugin (examples/gateway-plugin)', () => {
  it('has a valid manifest, and replays a file at its recorded pace, re-dated, skipping a bad line', async () => {
    expect(checkManifest(plugin, { kind: 'gateway' }).name).toBe('example-jsonl-replay');
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'mdhub-replay-')), 'ticks.jsonl');
    fs.writeFileSync(file, [
      JSON.stringify({ symbol: 'rb2701', exchange: 'SHFE', datetime: T, last_price: 3100, volume: 10 }),
      'not json',
      JSON.stringify({ symbol: 'rb2701', exchange: 'SHFE', datetime: T + 100, last_price: 3101, volume: 12 }),
      JSON.stringify({ symbol: 'SR701', exchange: 'CZCE', datetime: T + 200, last_price: 5500, volume: 3 }),
    ].join('\n'));
    const { ctx, emitted, states, logs } = context({ file, speed: 2 });
    const gw = plugin.create(ctx);
    const t0 = ctx.clock.now();
    await gw.start();
    await new Promise((r) => setTimeout(r, 300));
    await gw.stop();
    expect(states).toEqual(['connecting', 'connected', 'subscribed', 'stopped']);
    expect(emitted.map((t) => [t.symbol, t.last_price])).toEqual([['rb2701', 3100], ['rb2701', 3101], ['SR701', 5500]]);
    expect(emitted[1]!.datetime - emitted[0]!.datetime).toBe(100);
    expect(emitted[0]!.datetime).toBeGreaterThanOrEqual(t0);
    expect(emitted.every((t) => t.gateway_name === 'replay')).toBe(true);
    expect(logs).toContain('skipped a line that is not a tick');
    expect(gw.control!({ op: 'stats' })).toEqual({ ticks: 3, emitted: 3, bad_lines: 1 });
  });

  it('a missing file is a named error at start', async () => {
    const { ctx } = context({ file: '/nope/ticks.jsonl' });
    await expect(plugin.create(ctx).start()).rejects.toThrow(/MDH_ERR_GATEWAY_CONNECT_FAILED/);
  });

  it('refuses a misspelled configuration key', () => {
    expect(() => parsePluginConfig(plugin, 'replay', { file: 'x', sped: 2 })).toThrow(/MDH_ERR_PLUGIN_BAD_CONFIG/);
  });
});
