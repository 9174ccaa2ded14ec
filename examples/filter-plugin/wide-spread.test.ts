import { describe, expect, it } from 'vitest';
import type { MarketTick } from '@mdhub/protocol';
import { emptyMarketTick } from '@mdhub/protocol';
import { createCleansingPipeline } from '@mdhub/core';
import { checkManifest } from '@mdhub/core/plugin';
import { plugin } from './wide-spread.js';

const T = Date.parse('2026-11-25T09:40:00.000+08:00');
function tick(over: Partial<MarketTick>): MarketTick {
  return {
    ...emptyMarketTick('rb2701', 'SHFE'), datetime: T, localtime: T + 5, trading_day: '20261125', volume: 1000, turnover: 1000 * 3100 * 10,
    open_interest: 5000, pre_open_interest: 5000, last_price: 3100, open_price: 3090, high_price: 3110, low_price: 3080, pre_close: 3090,
    pre_settlement: 3090, limit_up: 3300, limit_down: 2870, average_price: 31000, bid_price_1: 3099, ask_price_1: 3100,
    bid_volume_1: 10, ask_volume_1: 12, gateway_name: 'a', ...over,
  };
}

describe('example filter plugin (examples/filter-plugin)', () => {
  it('has a valid manifest and rejects a wide spread through the pipeline, counted under its rule', () => {
    expect(checkManifest(plugin, { kind: 'filter' }).name).toBe('example-wide-spread');
    const p = createCleansingPipeline({ plugins: [plugin], config: { filters: [{ plugin: 'example-wide-spread', config: { maxSpreadTicks: 20 } }] } });
    expect(p.rules).toContain('wide_spread');
    expect(p.check(tick({}), 'a')).toEqual({ ok: true });
    const wide = tick({ datetime: T + 500, localtime: T + 505, volume: 1001, turnover: 1001 * 3100 * 10, bid_price_1: 3060, ask_price_1: 3100 });
    expect(p.check(wide, 'a')).toMatchObject({ ok: false, rule: 'wide_spread' });
    expect(p.stats().byRule['wide_spread']).toBe(1);
  });

  it('rejects a bad configuration with a named error', () => {
    expect(() => createCleansingPipeline({ plugins: [plugin], config: { filters: [{ plugin: 'example-wide-spread', config: { maxSpreadTicks: 0 } }] } }))
      .toThrow(/MDH_ERR_PLUGIN_BAD_CONFIG/);
  });
});
