/**
 * The data plane's watch: how far a source is behind the newest canary state another source delivered
 * (a steady lag stays bounded by the lag, a frozen source grows), which contract a canary product
 * resolves to, group silence, and the quality window (lag behind the winner, win share, clock offset).
 */
import { describe, expect, it } from 'vitest';
import type { MarketTick } from '@mdhub/protocol';
import { Arbiter } from '../../src/dataplane/arbiter.js';
import { BUCKETS, LAG_BOUNDS, LATENCY_BOUNDS_US, LatencyWindow, OFFSET_BOUNDS, SourceWatch } from '../../src/dataplane/watch.js';

function arbiterWith(...ticks: Array<Partial<MarketTick> & { symbol: string; exchange: MarketTick['exchange'] }>): Arbiter {
  const a = new Arbiter({ groups: [{ name: 'g', policy: 'race', instruments: ['all'], sources: [] }] });
  for (const t of ticks) {
    const st = a.instrument(t);
    st.last = { trading_day: '20261204', pre_open_interest: 0, ...t } as MarketTick;
  }
  return a;
}

describe('canary watch', () => {
  it('resolves a product to its contract with the highest previous-day open interest, then the nearest expiry; futures of the group only', () => {
    const a = arbiterWith(
      { symbol: 'rb2701', exchange: 'SHFE', pre_open_interest: 900_000 },
      { symbol: 'rb2705', exchange: 'SHFE', pre_open_interest: 1_200_000 },
      { symbol: 'rb2710', exchange: 'SHFE', pre_open_interest: 1_200_000 },
      { symbol: 'hc2705', exchange: 'SHFE', pre_open_interest: 5_000_000 },
      { symbol: 'SR701', exchange: 'CZCE', pre_open_interest: 10 },
      { symbol: 'SR701C5400', exchange: 'CZCE', pre_open_interest: 99_999 },
    );
    const w = new SourceWatch();
    w.configure([{ group: 'g', canaries: ['rb.SHFE', 'SR.CZCE', 'IF.CFFEX'] }], a.states());
    const views = w.canaries(0);
    expect(views.map((v) => v.instrument)).toEqual(['rb2705.SHFE', 'SR701.CZCE', null]);
    expect(a.peek('rb2705', 'SHFE')!.canary?.product).toBe('rb.SHFE');
    // a canary of another group is not resolved from this group's contracts
    const w2 = new SourceWatch();
    w2.configure([{ group: 'other', canaries: ['rb.SHFE'] }], a.states());
    expect(w2.canaries(0)[0]!.instrument).toBeNull();
  });

  it('resolves again on a new trading day', () => {
    const a = arbiterWith({ symbol: 'rb2701', exchange: 'SHFE', pre_open_interest: 900_000 }, { symbol: 'rb2705', exchange: 'SHFE', pre_open_interest: 800_000 });
    const w = new SourceWatch();
    w.configure([{ group: 'g', canaries: ['rb.SHFE'] }], a.states());
    expect(w.canaries(0)[0]!.instrument).toBe('rb2701.SHFE');
    expect(w.resolve(a.states())).toEqual([]); // same day: nothing to do
    a.peek('rb2701', 'SHFE')!.last = { ...a.peek('rb2701', 'SHFE')!.last!, trading_day: '20261207', pre_open_interest: 100 };
    a.peek('rb2705', 'SHFE')!.last = { ...a.peek('rb2705', 'SHFE')!.last!, trading_day: '20261207', pre_open_interest: 950_000 };
    expect(w.resolve(a.states()).map((t) => t.st?.vt)).toEqual(['rb2705.SHFE']);
    expect(a.peek('rb2701', 'SHFE')!.canary).toBeNull();
  });

  it('a source with a steady lag is at most its lag behind; a frozen source falls further behind every moment', () => {
    const a = arbiterWith({ symbol: 'rb2701', exchange: 'SHFE', pre_open_interest: 1 });
    const w = new SourceWatch();
    w.configure([{ group: 'g', canaries: ['rb.SHFE'] }], a.states());
    const t = a.peek('rb2701', 'SHFE')!.canary!;
    const groupsOf = (): string[] => ['g'];
    let worstSlow = 0;
    // the exchange emits a state every 500 ms; fast delivers at +5 ms, slow at +200 ms, frozen stops at 3 s
    for (let k = 0; k < 20; k++) {
      const dt = 1_000_000 + k * 500;
      const emit = k * 500;
      w.copy(t, 'fast', dt, 100 + k, emit + 5);
      if (emit < 3000) w.copy(t, 'frozen', dt, 100 + k, emit + 10);
      for (let probe = emit + 5; probe < emit + 505; probe += 25) {
        if (probe >= emit + 200 && probe - 200 < emit + 25) w.copy(t, 'slow', dt, 100 + k, emit + 200);
        worstSlow = Math.max(worstSlow, w.report(['slow'], groupsOf, probe).sources['slow']!.behind_ms);
      }
    }
    expect(worstSlow).toBeLessThanOrEqual(200);
    expect(worstSlow).toBeGreaterThan(150);
    const end = 19 * 500 + 5;
    const r = w.report(['fast', 'slow', 'frozen'], groupsOf, end);
    expect(r.sources['fast']!.behind_ms).toBe(0);
    // the first state frozen never had was first seen at 3,005 ms
    expect(r.sources['frozen']!.behind_ms).toBe(end - 3005);
    expect(r.sources['frozen']!.canary).toBe('rb2701.SHFE');
  });

  it('a source never seen on a canary is not judged by it; a restarted source is judged from its first copy', () => {
    const a = arbiterWith({ symbol: 'rb2701', exchange: 'SHFE', pre_open_interest: 1 });
    const w = new SourceWatch();
    w.configure([{ group: 'g', canaries: ['rb.SHFE'] }], a.states());
    const t = a.peek('rb2701', 'SHFE')!.canary!;
    w.copy(t, 'a', 1000, 1, 0);
    w.copy(t, 'b', 1000, 1, 1);
    w.copy(t, 'a', 1500, 2, 500);
    expect(w.report(['b', 'c'], () => ['g'], 2000).sources).toMatchObject({ b: { behind_ms: 1500 }, c: { behind_ms: 0, data_age_ms: null } });
    w.forgetSource('b');
    expect(w.report(['b'], () => ['g'], 2000).sources['b']!.behind_ms).toBe(0);
  });

  it('group silence: since any source last delivered any of its canaries', () => {
    const a = arbiterWith({ symbol: 'rb2701', exchange: 'SHFE', pre_open_interest: 1 }, { symbol: 'SR701', exchange: 'CZCE', pre_open_interest: 1 });
    const w = new SourceWatch();
    w.configure([{ group: 'g', canaries: ['rb.SHFE', 'SR.CZCE'] }], a.states());
    expect(w.report([], () => [], 0).groups['g']).toEqual({ canary_silent_ms: null, canaries: ['rb2701.SHFE', 'SR701.CZCE'] });
    w.copy(a.peek('rb2701', 'SHFE')!.canary!, 'a', 1, 1, 1000);
    w.copy(a.peek('SR701', 'CZCE')!.canary!, 'b', 1, 1, 4000);
    expect(w.report([], () => [], 10_000).groups['g']!.canary_silent_ms).toBe(6000);
  });
});

describe('source quality', () => {
  it('win share, lag percentiles behind the winner and the clock offset over the window', () => {
    const w = new SourceWatch();
    for (let i = 0; i < 100; i++) {
      w.judged('a', true, 0, 20, 1000 + i);
      w.judged('b', false, i < 98 ? 2 : 400, 30, 1000 + i);
      if (i < 25) w.judged('b', true, 0, 30, 1000 + i);
    }
    const q = w.qualities(2000);
    expect(q['a']!.win_share).toBeCloseTo(100 / 125);
    expect(q['b']!.win_share).toBeCloseTo(25 / 125);
    expect(q['a']!.lag_p99_ms).toBe(0.5);
    expect(q['b']!.lag_p50_ms).toBe(2);
    expect(q['b']!.lag_p99_ms).toBe(500);
    expect(q['a']!.clock_offset_p50_ms).toBe(20);
    // a minute later, the window holds none of it
    expect(w.qualities(2000 + 61_000)['a']!.copies).toBe(0);
  });
});

describe('bucket tables', () => {
  it('give the same bucket as the search, at every bound and between', () => {
    const lags = [0, 0.1, 0.5, 0.50001, 0.75, 1, 2.5, 7.5, 7.50001, 999.9, 1000, 1000.5, 1500, 10_000, 10_001, 1e9];
    for (const b of LAG_BOUNDS) lags.push(b, b - 0.001, b + 0.001);
    for (let i = 0; i < 20_000; i++) lags.push(Math.random() * 1200);
    for (const v of lags) expect(BUCKETS.lag(v), `lag ${v}`).toBe(BUCKETS.search(LAG_BOUNDS, v));
    const offsets = [-1e9, -10_001, -10_000, -9999.5, -0.5, 0, 0.001, 1, 1.5, 2, 9999.9, 10_000, 10_000.1, 1e9];
    for (const b of OFFSET_BOUNDS) offsets.push(b, b - 0.001, b + 0.001);
    for (let i = 0; i < 20_000; i++) offsets.push((Math.random() - 0.5) * 24_000);
    for (const v of offsets) expect(BUCKETS.offset(v), `offset ${v}`).toBe(BUCKETS.search(OFFSET_BOUNDS, v));
  });
});

describe('LatencyWindow (gateway receive → publish)', () => {
  it('reads p50 and p99 as bucket upper bounds over the last minute, and forgets older slots', () => {
    const w = new LatencyWindow();
    expect(w.read(0)).toEqual({ count: 0, p50_us: null, p99_us: null });
    for (let i = 0; i < 98; i++) w.add(120, 1000); // 120 µs → the 150 µs bucket
    w.add(4200, 1000); // → 5000
    w.add(2_000_000, 1000); // beyond the last bound
    expect(w.read(1000)).toEqual({ count: 100, p50_us: 150, p99_us: 5000 });
    // the table and the search agree on every bound and just past it
    for (const b of LATENCY_BOUNDS_US) {
      const x = new LatencyWindow();
      x.add(b, 0);
      expect(x.read(0).p50_us).toBe(b);
      const y = new LatencyWindow();
      y.add(b + 1, 0);
      expect(y.read(0).p50_us).toBe(LATENCY_BOUNDS_US[LATENCY_BOUNDS_US.indexOf(b) + 1] ?? Infinity);
    }
    w.add(900, 65_000); // a minute later: the old slot is out of the window
    expect(w.read(65_000)).toEqual({ count: 1, p50_us: 1000, p99_us: 1000 });
  });
});
