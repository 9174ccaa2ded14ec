/**
 * Health-check plugins in the runner: verdicts per source, prefixed with the check's name; a check that
 * throws or answers nonsense is counted and, after 10 failures within 10 s, disabled with a status event;
 * a plugin that cannot be created is left out with its named error.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { definePlugin } from '../../src/plugin/manifest.js';
import type { HealthCheckInput, HealthCheckPlugin } from '../../src/plugin/manifest.js';
import { HealthChecks } from '../../src/hub/health-checks.js';

const input = (source: string): HealthCheckInput => ({ source, state: 'subscribed', health: 'ok', upMs: 1000, behindMs: 0, canary: null, dataAgeMs: 5, quality: null, info: {}, inSession: true });

function runner(plugins: Record<string, HealthCheckPlugin>) {
  const events: Array<Record<string, unknown>> = [];
  const logs: Array<[string, string, string | undefined]> = [];
  const h = new HealthChecks({
    load: async (pkg) => {
      const p = plugins[pkg];
      if (!p) throw Object.assign(new Error(`no ${pkg}`), { code: 'MDH_ERR_PLUGIN_NOT_FOUND' });
      return p;
    },
    create: (p, config) => p.create({ config, clock: null as never, calendar: null as never, log: () => {} }),
    inputs: () => [input('a'), input('b')],
    event: (e) => events.push(e),
    log: (level, msg, _d, code) => logs.push([level, msg, code]),
  });
  return { h, events, logs };
}

const picky = definePlugin({
  name: 'picky', kind: 'health-check', coreVersion: '>=0.1.0', configSchema: z.strictObject({ bad: z.string() }),
  create: (ctx) => ({ name: 'picky', check: (s) => (s.source === ctx.config.bad ? { health: 'stale', reason: 'not liked' } : null) }),
});
const broken = definePlugin({
  name: 'broken', kind: 'health-check', coreVersion: '>=0.1.0', configSchema: z.object({}),
  create: () => ({ name: 'broken', check: () => { throw new Error('check bug'); } }),
});
const nonsense = definePlugin({
  name: 'nonsense', kind: 'health-check', coreVersion: '>=0.1.0', configSchema: z.object({}),
  create: () => ({ name: 'nonsense', check: () => ({ health: 'great', reason: 1 }) as never }),
});

describe('health-check plugins', () => {
  it('verdicts per source, named after the check', async () => {
    const { h } = runner({ picky });
    await h.configure([{ plugin: 'picky', config: { bad: 'b' } }]);
    h.run();
    expect(h.of('a')).toEqual([]);
    expect(h.of('b')).toEqual([{ health: 'stale', reason: 'picky: not liked' }]);
  });

  it('a check that throws is counted, then disabled after 10 failures within 10 s; the others go on', async () => {
    const { h, events, logs } = runner({ picky, broken });
    await h.configure([{ plugin: 'broken', config: {} }, { plugin: 'picky', config: { bad: 'a' } }]);
    for (let i = 0; i < 6; i++) h.run(); // two sources: 12 calls
    expect(events.filter((e) => e['kind'] === 'health_check_disabled')).toEqual([expect.objectContaining({ plugin: 'broken', errors: 10 })]);
    expect(h.stats().find((s) => s.plugin === 'broken')).toMatchObject({ errors: 10, disabled: true });
    expect(logs.some(([, , code]) => code === 'MDH_ERR_PLUGIN_CHECK_FAILED')).toBe(true);
    expect(h.of('a')).toEqual([{ health: 'stale', reason: 'picky: not liked' }]);
  });

  it('a malformed verdict is a failure, never a health', async () => {
    const { h } = runner({ nonsense });
    await h.configure([{ plugin: 'nonsense', config: {} }]);
    h.run();
    expect(h.of('a')).toEqual([]);
    expect(h.stats()[0]).toMatchObject({ errors: 2 });
  });

  it('a plugin that cannot be loaded or whose configuration is bad is left out with its named error', async () => {
    const { h, logs } = runner({ picky });
    await h.configure([{ plugin: 'missing', config: {} }, { plugin: 'picky', config: { bad: 7 } }]);
    expect(h.stats()).toEqual([]);
    expect(logs.map(([, , code]) => code)).toEqual(['MDH_ERR_PLUGIN_NOT_FOUND', 'MDH_ERR_PLUGIN_BAD_CONFIG']);
  });
});
