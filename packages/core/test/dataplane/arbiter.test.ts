import { describe, expect, it } from 'vitest';
import type { MarketTick } from '@mdhub/protocol';
import { emptyMarketTick, stateKey } from '@mdhub/protocol';
import { Arbiter } from '../../src/dataplane/arbiter.js';

const T0 = 1_764_034_200_000;
function tick(over: Partial<MarketTick> = {}, symbol = 'rb2601', exchange: MarketTick['exchange'] = 'SHFE'): MarketTick {
  return { ...emptyMarketTick(symbol, exchange), datetime: T0, trading_day: '20251125', volume: 100, last_price: 3100, bid_price_1: 3099, ask_price_1: 3100, bid_volume_1: 5, ask_volume_1: 5, ...over };
}

function race(sources = ['a', 'b', 'c']): Arbiter {
  const arb = new Arbiter({ groups: [] });
  for (const s of sources) arb.setHealth(s, true);
  return arb;
}

const offer = (arb: Arbiter, t: MarketTick, src: string, mono = 0): string => arb.offer(arb.instrument(t), t, src, T0 + 60_000, mono);

describe('arbiter: race', () => {
  it('the first copy of a new state wins; later copies of it are duplicates', () => {
    const arb = race();
    expect(offer(arb, tick(), 'b')).toBe('win');
    expect(offer(arb, tick(), 'a')).toBe('duplicate');
    expect(offer(arb, tick(), 'c')).toBe('duplicate');
    expect(offer(arb, tick({ datetime: T0 + 500, volume: 101 }), 'a')).toBe('win');
    expect(arb.counters.get('b')).toMatchObject({ wins: 1, duplicates: 0 });
    expect(arb.counters.get('a')).toMatchObject({ wins: 1, duplicates: 1 });
    expect(arb.counters.get('c')).toMatchObject({ wins: 0, duplicates: 1 });
  });

  it('out-of-order copies (older than the watermark) are dropped as old', () => {
    const arb = race();
    expect(offer(arb, tick({ datetime: T0 + 1000, volume: 110 }), 'a')).toBe('win');
    expect(offer(arb, tick({ datetime: T0 + 500, volume: 105 }), 'b')).toBe('old');
    expect(offer(arb, tick({ datetime: T0 + 1000, volume: 109 }), 'b')).toBe('old');
    expect(arb.counters.get('b')!.old).toBe(2);
  });

  it('at the same timestamp, higher cumulative volume is newer (volume tie-break)', () => {
    const arb = race();
    expect(offer(arb, tick({ volume: 100 }), 'a')).toBe('win');
    expect(offer(arb, tick({ volume: 102, last_price: 3101 }), 'b')).toBe('win');
    expect(offer(arb, tick({ volume: 101 }), 'c')).toBe('old');
  });

  it('equal timestamp and volume but a different book is a new state (CZCE without milliseconds)', () => {
    const arb = race();
    const a = tick({ bid_volume_1: 5 }, 'SR601', 'CZCE');
    const b = tick({ bid_volume_1: 9 }, 'SR601', 'CZCE');
    expect(offer(arb, a, 'a')).toBe('win');
    expect(offer(arb, b, 'a')).toBe('win');
    expect(offer(arb, a, 'b')).toBe('duplicate');
    expect(offer(arb, b, 'c')).toBe('duplicate');
    expect(arb.instrument(a).iseq).toBe(2);
  });

  it('iseq counts per instrument', () => {
    const arb = race();
    offer(arb, tick(), 'a');
    offer(arb, tick({ datetime: T0 + 500 }), 'a');
    const cu = tick({}, 'cu2601');
    offer(arb, cu, 'b');
    expect(arb.instrument(tick()).iseq).toBe(2);
    expect(arb.instrument(cu).iseq).toBe(1);
  });

  it('an unhealthy source never wins', () => {
    const arb = race(['a', 'b']);
    arb.setHealth('b', false);
    expect(offer(arb, tick(), 'b')).toBe('unhealthy');
    expect(offer(arb, tick(), 'a')).toBe('win');
  });

  it('a copy stamped beyond market now + skew never advances the watermark', () => {
    const arb = race();
    expect(offer(arb, tick({ datetime: T0 + 3_600_000 }), 'a')).toBe('future');
    expect(offer(arb, tick(), 'b')).toBe('win');
  });

  it('resets the watermark when every source keeps arriving older for a few seconds', () => {
    const events: string[] = [];
    const arb = new Arbiter({ groups: [], resetAfterMs: 3000, onEvent: (e) => events.push(e.kind) });
    arb.setHealth('a', true);
    arb.setHealth('b', true);
    const st = arb.instrument(tick());
    // a bad copy, far ahead but inside the skew bound, poisons the watermark
    expect(arb.offer(st, tick({ datetime: T0 + 9000, volume: 999_999 }), 'a', T0 + 5000, 0)).toBe('win');
    expect(arb.offer(st, tick({ datetime: T0 + 500 }), 'a', T0 + 5000, 100)).toBe('old');
    expect(arb.offer(st, tick({ datetime: T0 + 1000 }), 'b', T0 + 5000, 1500)).toBe('old');
    // not yet: only 2.9 s
    expect(arb.offer(st, tick({ datetime: T0 + 1500 }), 'a', T0 + 5000, 3000)).toBe('old');
    expect(arb.offer(st, tick({ datetime: T0 + 2000 }), 'b', T0 + 5000, 3200)).toBe('win');
    expect(events).toContain('watermark_reset');
    expect(arb.offer(st, tick({ datetime: T0 + 2500 }), 'a', T0 + 5000, 3300)).toBe('win');
  });

  it('a healthy source that is silent on the instrument does not block the reset (one bad copy never silences it)', () => {
    const events: string[] = [];
    const arb = new Arbiter({ groups: [], resetAfterMs: 3000, onEvent: (e) => events.push(e.kind) });
    arb.setHealth('a', true);
    arb.setHealth('b', true); // healthy, but delivers nothing of this instrument
    const st = arb.instrument(tick());
    expect(arb.offer(st, tick({ datetime: T0 + 9000, volume: 999_999 }), 'a', T0 + 5000, 0)).toBe('win');
    const verdicts = [1, 2, 3, 4].map((i) => arb.offer(st, tick({ datetime: T0 + i * 100 }), 'a', T0 + 5000, i * 1000));
    expect(verdicts).toEqual(['old', 'old', 'old', 'win']); // 3 s of older copies from the only source delivering it
    expect(events).toEqual(['watermark_reset']);
  });

  it('does not reset while a source still delivers the watermark\'s own state (it agrees with it)', () => {
    const arb = new Arbiter({ groups: [], resetAfterMs: 3000 });
    arb.setHealth('a', true);
    arb.setHealth('b', true);
    const st = arb.instrument(tick());
    const top = tick({ datetime: T0 + 9000 });
    arb.offer(st, top, 'a', T0 + 5000, 0);
    for (let i = 1; i <= 10; i++) {
      expect(arb.offer(st, tick({ datetime: T0 + i }), 'a', T0 + 5000, i * 1000)).toBe('old');
      expect(arb.offer(st, top, 'b', T0 + 5000, i * 1000 + 10)).toBe('duplicate');
    }
  });
});

describe('arbiter: priority', () => {
  const groups = [{ name: 'p', policy: 'priority' as const, instruments: ['*'], sources: ['a', 'b', 'c'] }];

  it('only the best healthy source feeds; the others are hot standby', () => {
    const arb = new Arbiter({ groups });
    for (const s of ['c', 'b', 'a']) arb.setHealth(s, true);
    expect(offer(arb, tick(), 'b')).toBe('standby');
    expect(offer(arb, tick(), 'a')).toBe('win');
    expect(offer(arb, tick({ datetime: T0 + 500 }), 'c')).toBe('standby');
    expect(arb.counters.get('b')!.standby).toBe(1);
  });

  it('a standby fills in for the feeder on an instrument whose feeder copy cleansing rejected, until a new state is published', () => {
    const arb = new Arbiter({ groups });
    for (const s of ['a', 'b', 'c']) arb.setHealth(s, true);
    expect(offer(arb, tick(), 'a')).toBe('win');
    expect(offer(arb, tick({ datetime: T0 + 500, volume: 105 }), 'b')).toBe('standby');
    // a's copy of the next state was rejected (a bad tick): b's copy is published, a's good copy later is a duplicate
    const st = arb.instrument(tick());
    st.rejectedBy = 'a';
    expect(offer(arb, tick({ datetime: T0 + 1000, volume: 106 }), 'b')).toBe('win');
    expect(st.rejectedBy).toBeNull();
    expect(offer(arb, tick({ datetime: T0 + 1000, volume: 106 }), 'a')).toBe('duplicate');
    expect(offer(arb, tick({ datetime: T0 + 1500, volume: 107 }), 'b')).toBe('standby');
    // a source outside the group's list never fills in
    st.rejectedBy = 'a';
    expect(offer(arb, tick({ datetime: T0 + 2000, volume: 108 }), 'z')).not.toBe('win');
  });

  it('fails over to the next source when the feeder becomes unhealthy, publishing its newer state at takeover', () => {
    const events: Array<Record<string, unknown>> = [];
    const arb = new Arbiter({ groups, onEvent: (e) => events.push(e) });
    for (const s of ['a', 'b', 'c']) arb.setHealth(s, true);
    expect(offer(arb, tick(), 'a')).toBe('win');
    expect(offer(arb, tick({ datetime: T0 + 500, volume: 105 }), 'b')).toBe('standby');
    const takeovers = arb.setHealth('a', false);
    expect(events.at(-1)).toMatchObject({ kind: 'failover', from: 'a', to: 'b' });
    expect(takeovers).toHaveLength(1);
    expect(takeovers[0]!.tick.volume).toBe(105);
    expect(offer(arb, tick({ datetime: T0 + 1000, volume: 106 }), 'b')).toBe('win');
    // the preferred source comes back and feeds again
    arb.setHealth('a', true);
    expect(offer(arb, tick({ datetime: T0 + 1500, volume: 107 }), 'b')).toBe('standby');
    expect(offer(arb, tick({ datetime: T0 + 1500, volume: 107 }), 'a')).toBe('win');
  });

  it('groups split instruments: priority for one exchange, race for the rest', () => {
    const arb = new Arbiter({ groups: [{ name: 'cffex', policy: 'priority', instruments: ['*.CFFEX'], sources: ['b', 'a'] }] });
    arb.setHealth('a', true);
    arb.setHealth('b', true);
    expect(offer(arb, tick({}, 'IF2512', 'CFFEX'), 'a')).toBe('standby');
    expect(offer(arb, tick({}, 'IF2512', 'CFFEX'), 'b')).toBe('win');
    expect(offer(arb, tick(), 'a')).toBe('win');
  });
});

describe('arbiter: duplicate fast path (copies recognised before they are built)', () => {
  const NOW = T0 + 60_000;
  const fast = (arb: Arbiter, t: MarketTick, src: string): boolean => arb.duplicateOfLast(arb.instrument(t), src, t.datetime, t.volume, stateKey(t), NOW);

  it('takes exactly the copies offer would call duplicates of the newest state, and counts them the same way', () => {
    const arb = race();
    expect(offer(arb, tick(), 'a')).toBe('win');
    expect(fast(arb, tick(), 'b')).toBe(true);
    expect(arb.counters.get('b')).toMatchObject({ received: 1, duplicates: 1, wins: 0 });
    // not the newest state, another state at the same watermark, or a newer state: the full path decides
    expect(fast(arb, tick({ bid_volume_1: 9 }), 'b')).toBe(false);
    expect(fast(arb, tick({ datetime: T0 + 500, volume: 101 }), 'b')).toBe(false);
    expect(arb.counters.get('b')).toMatchObject({ received: 1, duplicates: 1 });
  });

  it('leaves unhealthy sources, priority groups (standby copies are kept for takeover) and outsiders to the full path', () => {
    const arb = race(['a', 'b']);
    arb.addSource('c');
    expect(offer(arb, tick(), 'a')).toBe('win');
    expect(fast(arb, tick(), 'c')).toBe(false);
    const prio = new Arbiter({ groups: [{ name: 'p', policy: 'priority', instruments: ['*'], sources: ['a', 'b'] }] });
    prio.setHealth('a', true);
    prio.setHealth('b', true);
    expect(prio.offer(prio.instrument(tick()), tick(), 'a', NOW, 0)).toBe('win');
    expect(fast(prio, tick(), 'b')).toBe(false);
    const only = new Arbiter({ groups: [{ name: 'r', policy: 'race', instruments: ['*'], sources: ['a'] }] });
    only.setHealth('a', true);
    only.setHealth('x', true);
    expect(only.offer(only.instrument(tick()), tick(), 'a', NOW, 0)).toBe('win');
    expect(fast(only, tick(), 'x')).toBe(false);
  });

  it('a slower source\'s copies of many states at one watermark are all duplicates; the newest state stays the last', () => {
    const arb = race();
    const books = Array.from({ length: 300 }, (_, i) => tick({ bid_volume_1: 100 + i }, 'SR601', 'CZCE'));
    for (const b of books) expect(offer(arb, b, 'a')).toBe('win');
    const st = arb.instrument(books[0]!);
    const iseq = st.iseq;
    // beyond the cap of remembered keys only the newest is still recognised: never republish the oldest
    for (const b of books.slice(0, 256)) expect(offer(arb, b, 'b')).toBe('duplicate');
    expect(offer(arb, books[299]!, 'b')).toBe('duplicate');
    expect(fast(arb, books[299]!, 'c')).toBe(true);
    expect(st.iseq).toBe(iseq);
    expect(st.last).toBe(books[299]);
  });
});

describe('arbiter: groups by instrument pattern, changed live', () => {
  it('a product pattern claims exactly its product (c* is corn, not cs)', () => {
    const arb = new Arbiter({ groups: [{ name: 'corn', policy: 'priority', instruments: ['c*.DCE'], sources: ['b', 'a'] }] });
    expect(arb.instrument(tick({}, 'c2701', 'DCE')).group.cfg.name).toBe('corn');
    expect(arb.instrument(tick({}, 'cs2701', 'DCE')).group.cfg.name).toBe('default');
  });

  it('setGroups moves instruments to their new group, picks the feeder, and publishes the new feeder\'s latest state', () => {
    const events: Array<Record<string, unknown>> = [];
    const arb = new Arbiter({ groups: [], onEvent: (e) => events.push(e) });
    for (const s of ['a', 'b']) arb.setHealth(s, true);
    const st = arb.instrument(tick());
    expect(st.group.cfg.name).toBe('default');
    expect(offer(arb, tick(), 'a')).toBe('win');
    // rb becomes a priority group fed by b first
    expect(arb.setGroups([{ name: 'rb', policy: 'priority', instruments: ['rb*.SHFE'], sources: ['b', 'a'] }])).toEqual([]);
    expect(st.group.cfg.name).toBe('rb');
    expect(events).toContainEqual(expect.objectContaining({ kind: 'failover', group: 'rb', from: null, to: 'b', reason: 'configuration' }));
    expect(offer(arb, tick({ datetime: T0 + 500, volume: 101 }), 'a')).toBe('standby');
    expect(offer(arb, tick({ datetime: T0 + 500, volume: 101 }), 'b')).toBe('win');
    const standby = tick({ datetime: T0 + 1000, volume: 102 });
    expect(offer(arb, standby, 'a')).toBe('standby');
    // the priority order flips: a feeds at once, and its newer standby state is handed back for publishing
    const takeovers = arb.setGroups([{ name: 'rb', policy: 'priority', instruments: ['rb*.SHFE'], sources: ['a', 'b'] }]);
    expect(takeovers.map((x) => x.tick)).toEqual([standby]);
    expect(arb.groupInfo().find((g) => g.name === 'rb')?.feeder).toBe('a');
    // a bad pattern changes nothing
    expect(() => arb.setGroups([{ name: 'x', policy: 'race', instruments: ['garbage'], sources: [] }])).toThrow(/MDH_ERR_MARKET_BAD_PATTERN/);
    expect(st.group.cfg.name).toBe('rb');
  });
});
