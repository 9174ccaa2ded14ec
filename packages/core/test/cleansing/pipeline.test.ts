import type { MarketTick } from '@mdhub/protocol';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  BUILTIN_RULES, CLEANSING_ERRORS, CleansingError, checkFilterManifest, createCleansingPipeline,
} from '../../src/cleansing/index.js';
import type { CleansingConfig, FilterContext, RejectionLogRecord } from '../../src/cleansing/index.js';
import { definePlugin } from '../../src/plugin/manifest.js';
import type { FilterPlugin } from '../../src/plugin/manifest.js';
import { ETF_OPT, IF, RB, SR, next, tick } from './helpers.js';
import { code } from '../named-errors.js';


describe('createCleansingPipeline', () => {
  it('answers the shared { ok: true } object on accept and keeps state across calls', () => {
    const p = createCleansingPipeline();
    const t = tick(RB);
    const a = p.check(t);
    const b = p.check(next(RB, t));
    expect(a).toEqual({ ok: true });
    expect(a).toBe(b);
    expect(p.check({ ...t, volume: 10 })).toMatchObject({ ok: false, rule: 'volume_decrease' });
  });

  it('keeps its per-instrument handle in a caller slot, and a slot of another instrument cannot mislead it', () => {
    const p = createCleansingPipeline();
    const slot: { rec?: unknown } = {};
    const t = tick(RB);
    expect(p.check(t, 'A', slot)).toEqual({ ok: true });
    expect(slot.rec).toBeDefined();
    const held = slot.rec;
    // The same slot handed over with another instrument's tick: its own state is used (and the slot re-pointed).
    expect(p.check(tick(SR), 'A', slot)).toEqual({ ok: true });
    expect(slot.rec).not.toBe(held);
    // RB's state survived: a volume decrease against RB's accepted tick is still caught through any slot.
    expect(p.check({ ...next(RB, t), volume: 10 }, 'A', slot)).toMatchObject({ ok: false, rule: 'volume_decrease' });
    expect(slot.rec).toBe(held);
  });

  it('observe moves a source on as if it had accepted the state, without a check or a rejection', () => {
    const p = createCleansingPipeline();
    const t = tick(RB);
    expect(p.check(t, 'A')).toEqual({ ok: true });
    // B never had a tick checked; it delivered A's accepted state (a race duplicate) and then its own next one.
    p.observe(t, 'B', t.localtime + 3);
    expect(p.stats().checked).toBe(1);
    // B's state now holds t: an older volume from B is a decrease, a normal next tick passes.
    expect(p.check({ ...next(RB, t), volume: t.volume - 1 }, 'B')).toMatchObject({ ok: false, rule: 'volume_decrease' });
    expect(p.check(next(RB, t), 'B')).toEqual({ ok: true });
  });

  it('uses gateway_name as the source when none is given', () => {
    const p = createCleansingPipeline();
    p.check(tick(RB, { gateway_name: 'ctp1', last_price: 0 }));
    expect(p.stats().rejections).toEqual([{ rule: 'non_positive_price', source: 'ctp1', group: 'default', count: 1 }]);
  });

  it('counts rejections per rule × source × group', () => {
    const p = createCleansingPipeline({
      config: { groups: [{ name: 'cffex', match: { exchanges: ['CFFEX'] } }, { name: 'options', match: { kinds: ['option'] } }] },
    });
    p.check(tick(RB, { last_price: 0 }), 'A');
    p.check(tick(RB, { last_price: 0 }), 'A');
    p.check(tick(RB, { bid_price_1: 3600, ask_price_1: 3550 }), 'B');
    p.check(tick(IF, { last_price: 4000, bid_price_1: 4001, ask_price_1: 4000 }), 'A');
    p.check(tick({ ...ETF_OPT, symbol: 'x' }), 'B');
    p.check(tick(RB), 'A');
    const s = p.stats();
    expect(s.checked).toBe(6);
    expect(s.accepted).toBe(1);
    expect(s.rejected).toBe(5);
    expect(s.byRule).toEqual({ non_positive_price: 2, crossed_book: 2, unknown_instrument: 1 });
    expect(s.bySource).toEqual({ A: { checked: 4, rejected: 3 }, B: { checked: 2, rejected: 2 } });
    expect([...s.rejections].sort((x, y) => (x.rule + x.source + x.group).localeCompare(y.rule + y.source + y.group))).toEqual([
      { rule: 'crossed_book', source: 'A', group: 'cffex', count: 1 },
      { rule: 'crossed_book', source: 'B', group: 'default', count: 1 },
      { rule: 'non_positive_price', source: 'A', group: 'default', count: 2 },
      { rule: 'unknown_instrument', source: 'B', group: 'default', count: 1 },
    ]);
    expect(p.groupOf('IF2604', 'CFFEX')).toBe('cffex');
    expect(p.groupOf('IO2604-C-4000', 'CFFEX')).toBe('cffex'); // first match wins
    expect(p.groupOf('10008123', 'SSE')).toBe('options');
    p.resetStats();
    expect(p.stats().rejected).toBe(0);
    expect(p.stats().rejections).toEqual([]);
  });

  it('is built from a plain JSON configuration: per-group thresholds and rule switches', () => {
    const json = JSON.parse(JSON.stringify({
      thresholds: { maxLagMs: 30_000 },
      disable: ['crossed_book'],
      groups: [
        { name: 'czce', match: { exchanges: ['CZCE'] }, thresholds: { maxLagMs: 5_000 }, enable: ['crossed_book'] },
      ],
      log: { burst: 2, perSecond: 0.5 },
    })) as unknown;
    const p = createCleansingPipeline({ config: json as CleansingConfig });
    const rb = tick(RB);
    expect(p.check({ ...rb, localtime: rb.datetime + 20_000 }).ok).toBe(true);
    expect(p.check({ ...rb, localtime: rb.datetime + 40_000 })).toMatchObject({ ok: false, rule: 'clock_skew' });
    expect(p.check(tick(RB, { bid_price_1: 3501 })).ok).toBe(true); // crossed_book off by default
    const sr = tick(SR);
    expect(p.check({ ...sr, localtime: sr.datetime + 6_000 })).toMatchObject({ ok: false, rule: 'clock_skew' });
    expect(p.check(tick(SR, { bid_price_1: 3501 }))).toMatchObject({ ok: false, rule: 'crossed_book' });
  });

  it('rejects a bad configuration with named errors', () => {
    expect(code(() => createCleansingPipeline({ config: { thresholds: { maxLagMs: -1 } } }))).toBe('MDH_ERR_CLEANSING_BAD_CONFIG');
    expect(code(() => createCleansingPipeline({ config: { bogus: 1 } as never }))).toBe('MDH_ERR_CLEANSING_BAD_CONFIG');
    expect(code(() => createCleansingPipeline({ config: { disable: ['no_such_rule'] } }))).toBe('MDH_ERR_CLEANSING_UNKNOWN_RULE');
    expect(code(() => createCleansingPipeline({ config: { groups: [{ name: 'default' }] } }))).toBe('MDH_ERR_CLEANSING_BAD_CONFIG');
    expect(code(() => createCleansingPipeline({ config: { filters: [{ plugin: 'nope' }] } }))).toBe('MDH_ERR_PLUGIN_UNKNOWN');
  });

  it('lists every built-in rule', () => {
    expect(createCleansingPipeline().rules).toEqual([...BUILTIN_RULES]);
  });
});

describe('sampled rejection log', () => {
  it('logs a burst per rule, then one record per refill, carrying the suppressed count', () => {
    const records: RejectionLogRecord[] = [];
    const p = createCleansingPipeline({ config: { log: { burst: 3, perSecond: 1 } }, log: (r) => records.push(r) });
    const base = tick(RB);
    for (let i = 0; i < 1000; i++) {
      const t0 = base.datetime + i; // 1000 bad ticks within one second
      p.check({ ...base, datetime: t0, localtime: t0 + 5, last_price: 0 }, 'flood');
    }
    expect(records).toHaveLength(3);
    expect(records[0]).toMatchObject({ rule: 'non_positive_price', source: 'flood', group: 'default', symbol: 'rb2605', exchange: 'SHFE', suppressed: 0 });
    // another rule has its own bucket
    p.check(tick(RB, { bid_price_1: 3600, ask_price_1: 3550, localtime: base.datetime + 1000 }), 'flood');
    expect(records).toHaveLength(4);
    expect(records[3]?.rule).toBe('crossed_book');
    // two seconds of market time later: one more record for the flood rule, with what was dropped
    p.check({ ...base, datetime: base.datetime + 2500, localtime: base.datetime + 2505, last_price: 0 }, 'flood');
    expect(records).toHaveLength(5);
    expect(records[4]).toMatchObject({ rule: 'non_positive_price', suppressed: 997 });
    expect(p.stats().byRule.non_positive_price).toBe(1001);
  });
});

describe('filter plugins', () => {
  const maxSpread = definePlugin({
    name: 'max-spread',
    kind: 'filter',
    coreVersion: '^0.1.0',
    configSchema: z.object({ maxTicks: z.number().int().positive() }).strict(),
    create(ctx) {
      const config = ctx.config;
      return {
        name: 'max-spread',
        rules: ['wide_spread'],
        createState: () => ({ seen: 0 }),
        check(t: MarketTick, fctx: FilterContext, state: { seen: number }) {
          state.seen++;
          const tickSize = ctx.market.instrument(t.symbol, t.exchange)?.priceTick ?? 1;
          if (t.bid_price_1 > 0 && t.ask_price_1 > 0 && t.ask_price_1 - t.bid_price_1 > config.maxTicks * tickSize) {
            // read access to the other sources' accepted state
            const others = fctx.peers.filter((q) => q.source !== fctx.source && q.count > 0).length;
            return { rule: 'wide_spread', reason: `spread over ${config.maxTicks} ticks (${others} other sources)` };
          }
          return null;
        },
      };
    },
  });

  it('checks manifests with one code per failure', () => {
    expect(checkFilterManifest(maxSpread).name).toBe('max-spread');
    expect(code(() => checkFilterManifest(null))).toBe('MDH_ERR_PLUGIN_BAD_MANIFEST');
    expect(code(() => checkFilterManifest({ ...maxSpread, name: '' }))).toBe('MDH_ERR_PLUGIN_BAD_MANIFEST');
    expect(code(() => checkFilterManifest({ ...maxSpread, kind: 'gateway' }))).toBe('MDH_ERR_PLUGIN_WRONG_KIND');
    expect(code(() => checkFilterManifest({ ...maxSpread, coreVersion: 'soon' }))).toBe('MDH_ERR_PLUGIN_BAD_MANIFEST');
    expect(code(() => checkFilterManifest({ ...maxSpread, coreVersion: '^2.0.0' }))).toBe('MDH_ERR_PLUGIN_INCOMPATIBLE');
    expect(code(() => checkFilterManifest({ ...maxSpread, configSchema: {} }))).toBe('MDH_ERR_PLUGIN_BAD_MANIFEST');
    expect(code(() => checkFilterManifest({ ...maxSpread, create: undefined }))).toBe('MDH_ERR_PLUGIN_BAD_MANIFEST');
    expect(code(() => checkFilterManifest({ ...maxSpread, name: 'price_jump' }))).toBe('MDH_ERR_PLUGIN_BAD_MANIFEST');
    expect(Object.keys(CLEANSING_ERRORS).every((c) => c.startsWith('MDH_ERR_'))).toBe(true);
  });

  it('runs a configured plugin filter per group, after the built-in rules, and counts its rule', () => {
    const p = createCleansingPipeline({
      plugins: [maxSpread as FilterPlugin<unknown>],
      config: {
        groups: [{ name: 'shfe', match: { exchanges: ['SHFE'] } }],
        filters: [{ plugin: 'max-spread', config: { maxTicks: 5 }, groups: ['shfe'] }],
      },
    });
    expect(p.rules).toContain('wide_spread');
    expect(p.check(tick(RB), 'B').ok).toBe(true);
    expect(p.check(tick(RB, { bid_price_1: 3490, localtime: tick(RB).datetime + 6 }), 'A')).toEqual({
      ok: false, rule: 'wide_spread', reason: 'spread over 5 ticks (1 other sources)',
    });
    expect(p.check(tick(SR, { bid_price_1: 3490 }), 'A').ok).toBe(true); // not in the group
    expect(p.check(tick(RB, { last_price: 0 }), 'A')).toMatchObject({ rule: 'non_positive_price' }); // built-ins first
    expect(p.stats().byRule).toEqual({ wide_spread: 1, non_positive_price: 1 });
  });

  it('rejects a plugin configuration that does not match its schema', () => {
    const build = (config: unknown) => () => createCleansingPipeline({ plugins: [maxSpread as FilterPlugin<unknown>], config: { filters: [{ plugin: 'max-spread', config }] } });
    expect(code(build({ maxTicks: 0 }))).toBe('MDH_ERR_PLUGIN_BAD_CONFIG');
    expect(code(build({ maxTicks: 3 }))).toBe('no error');
  });

  it('can be switched off per group by filter name', () => {
    const p = createCleansingPipeline({
      plugins: [maxSpread as FilterPlugin<unknown>],
      config: { filters: [{ plugin: 'max-spread', config: { maxTicks: 5 } }], groups: [{ name: 'czce', match: { exchanges: ['CZCE'] }, disable: ['max-spread'] }] },
    });
    expect(p.check(tick(SR, { bid_price_1: 3490 })).ok).toBe(true);
    expect(p.check(tick(RB, { bid_price_1: 3490 })).ok).toBe(false);
  });

  it('never loses a tick to a throwing filter: the call is counted, and the filter is disabled for that source after repeated failures', () => {
    let calls = 0;
    const flaky = definePlugin({
      name: 'flaky', kind: 'filter', coreVersion: '^0.1.0', configSchema: z.object({}),
      create: () => ({
        name: 'flaky',
        rules: ['flaky_rule'],
        check(t: MarketTick, f: FilterContext) {
          calls++;
          if (f.source === 'bad') throw new Error('filter bug');
          return t.bid_price_1 > t.ask_price_1 ? { rule: 'flaky_rule', reason: 'never here' } : null;
        },
      }),
    });
    const failures: Array<{ source: string; count: number; disabled: boolean; error: string }> = [];
    const p = createCleansingPipeline({
      plugins: [flaky as FilterPlugin<unknown>],
      config: { filters: [{ plugin: 'flaky', config: {} }] },
      onFilterFailure: (e) => failures.push(e),
      filterFailureLimit: { count: 10, windowMs: 60_000 },
    });
    let t = tick(RB);
    for (let i = 0; i < 25; i++) {
      expect(p.check(t, 'bad').ok).toBe(true); // judged without the broken filter, never rejected by it
      expect(p.check(t, 'good').ok).toBe(true);
      t = next(RB, t);
    }
    // 'bad': 10 throwing calls, then the filter is off for it; 'good' keeps running it.
    expect(calls).toBe(10 + 25);
    expect(failures.map((f) => [f.count, f.disabled])).toEqual([[1, false], [2, false], [4, false], [8, false], [10, true]]);
    expect(failures[0]).toMatchObject({ source: 'bad', error: 'filter bug' });
    expect(p.stats().filterErrors).toEqual([{ filter: 'flaky', source: 'bad', count: 10, disabled: true }]);
    expect(p.stats().rejected).toBe(0);
  });
});
