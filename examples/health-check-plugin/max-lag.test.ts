import { describe, expect, it } from 'vitest';
import type { HealthCheckInput } from '@mdhub/core/plugin';
import { checkManifest, parsePluginConfig, simulatedClock, marketCalendar } from '@mdhub/core/plugin';
import { plugin } from './max-lag.js';

const input = (lagP99: number | null, over: Partial<HealthCheckInput> = {}): HealthCheckInput => ({
  source: 'a', state: 'subscribed', health: 'ok', upMs: 60_000, behindMs: 0, canary: null, dataAgeMs: 10, info: {}, inSession: true,
  quality: { copies: 500, wins: 10, win_share: 0.1, lag_p50_ms: 5, lag_p99_ms: lagP99, clock_offset_p50_ms: 20, clock_offset_p99_ms: 50 },
  ...over,
});

describe('example health-check plugin (examples/health-check-plugin)', () => {
  const create = (config: unknown) => plugin.create({
    config: parsePluginConfig(plugin, 'test', config), clock: simulatedClock({ anchorMs: Date.parse('2026-11-25T09:40:00+08:00') }), calendar: marketCalendar(), log: () => {},
  });

  it('has a valid manifest; degraded above one bound, stale above the other, silent otherwise', () => {
    expect(checkManifest(plugin, { kind: 'health-check' }).name).toBe('example-max-lag');
    const c = create({ degradedP99Ms: 100, staleP99Ms: 1000 });
    expect(c.check(input(50))).toBeNull();
    expect(c.check(input(150))).toEqual({ health: 'degraded', reason: 'lag p99 150 ms > 100 ms' });
    expect(c.check(input(2000))).toEqual({ health: 'stale', reason: 'lag p99 2000 ms > 1000 ms' });
    expect(c.check(input(2000, { inSession: false }))).toBeNull();
    expect(c.check(input(null))).toBeNull();
  });

  it('refuses a bad configuration with a named error', () => {
    expect(() => create({ degradedP99Ms: -1 })).toThrow(/MDH_ERR_PLUGIN_BAD_CONFIG/);
  });
});
