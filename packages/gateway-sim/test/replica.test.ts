import { describe, expect, it } from 'vitest';
import type { MarketTick } from '@mdhub/protocol';
import { DBL_MAX, SourceReplica } from '../src/replica.js';
import type { BadTickKind, SourceReplicaOptions } from '../src/replica.js';
import { atShanghai, calendar, exchangeFields, subset, tapeRun, universe } from './helpers.js';

const u = subset(universe(), (i) => i.index % 3 === 0); // ~100 instruments of all exchanges
const SEED = 5;
const start = atShanghai('20260106', '09:31');
const end = start + 60_000;
const truth = tapeRun(u, SEED, start, end);
const truthKey = new Map(truth.map((s) => [`${s.index}|${s.emitMs}`, s]));
const indexOf = new Map(u.map((i) => [`${i.symbol}.${i.exchange}`, i.index]));

function replica(extra: Partial<SourceReplicaOptions> = {}): SourceReplica {
  return new SourceReplica({
    universe: u, tape: { seed: SEED, calendar, startMs: start }, sourceSeed: 'ctp-a',
    latency: { medianMs: 8, sigma: 0.6, minMs: 2 }, ...extra,
  });
}

interface Got { tick: MarketTick; bad: BadTickKind | null; emitMs: number; index: number }

function drain(r: SourceReplica, stepMs = 100): Got[] {
  const out: Got[] = [];
  for (let t = start; t <= end + 5_000; t += stepMs) {
    const p = r.poll(t);
    p.due.forEach((tick, k) => {
      out.push({ tick, bad: p.bad[k]!, emitMs: p.emitMs[k]!, index: indexOf.get(`${tick.symbol}.${tick.exchange}`)! });
      expect(tick.localtime).toBeLessThanOrEqual(t);
    });
  }
  return out.filter((g) => g.emitMs <= end);
}

describe('SourceReplica', () => {
  it('simulating ahead (lookaheadMs) changes when the work is done, never what arrives or when', () => {
    const plain = drain(replica({ badTickRate: 0.05, dropRate: 0.02 }), 37);
    const ahead = drain(replica({ badTickRate: 0.05, dropRate: 0.02, lookaheadMs: 400 }), 37);
    expect(ahead.length).toBe(plain.length);
    ahead.forEach((g, k) => {
      expect(g.tick).toEqual(plain[k]!.tick);
      expect([g.bad, g.emitMs]).toEqual([plain[k]!.bad, plain[k]!.emitMs]);
    });
  });

  it('a pre-rendered tape (packed outside the heap) delivers what the live simulation delivers, then goes on live', () => {
    const opts = { badTickRate: 0.2, dropRate: 0.02 };
    const plain = drain(replica(opts), 37);
    const r = replica(opts);
    // half the minute pre-rendered, the rest simulated live as polls reach it
    expect(r.prerender(start + 30_000)).toBeGreaterThan(1000);
    expect(r.simulatedToMs).toBe(start + 30_000);
    expect(r.startDeliveryAt(start)).toBe(0);
    const pre = drain(r, 37);
    expect(pre.length).toBe(plain.length);
    expect(pre.filter((g) => g.bad !== null).length).toBeGreaterThan(100);
    expect(new Set(pre.map((g) => g.bad))).toEqual(new Set(plain.map((g) => g.bad)));
    pre.forEach((g, k) => {
      expect(g.tick).toEqual(plain[k]!.tick); // every field, DBL_MAX and other corruptions included
      expect([g.bad, g.emitMs]).toEqual([plain[k]!.bad, plain[k]!.emitMs]);
    });
  });

  it('startDeliveryAt discards the pre-rendered copies of snapshots before it and restarts the counters there', () => {
    const from = start + 20_000;
    const r = replica({ dropRate: 0.05, badTickRate: 0.05 });
    r.prerender(start + 45_000);
    const before = r.queued;
    const gone = r.startDeliveryAt(from);
    expect(gone).toBeGreaterThan(0);
    expect(r.queued).toBe(before - gone);
    const got = drain(r, 50);
    expect(got.every((g) => g.emitMs >= from)).toBe(true);
    const want = truth.filter((s) => s.emitMs >= from);
    const st = r.stats();
    // the counters count from `from` on: every snapshot since is delivered, dropped or still waiting
    expect(st.dropped).toBeGreaterThan(0);
    expect(st.emitted).toBe(st.delivered + st.dropped + r.queued);
    expect(st.delivered).toBeGreaterThanOrEqual(got.length);
    // within the tape's minute: each snapshot from `from` on arrives once, or not at all (dropped)
    const keys = new Set(got.map((g) => `${g.index}|${g.emitMs}`));
    expect(keys.size).toBe(got.length);
    expect(got.every((g) => truthKey.has(`${g.index}|${g.emitMs}`))).toBe(true);
    const missing = want.filter((s) => !keys.has(`${s.index}|${s.emitMs}`)).length;
    expect(missing).toBeGreaterThan(0.02 * want.length);
    expect(missing).toBeLessThan(0.08 * want.length);
  });

  it('delivers copies equal to the tape in every exchange field, with localtime = arrival ≥ emission + minMs', () => {
    const got = drain(replica({ gatewayName: 'ctp-a' }));
    expect(got.length).toBe(truth.length);
    let prev = -Infinity;
    for (const g of got) {
      const s = truthKey.get(`${g.index}|${g.emitMs}`)!;
      expect(exchangeFields(g.tick)).toEqual(exchangeFields(s.tick));
      expect(g.tick).not.toBe(s.tick);
      expect(g.tick.gateway_name).toBe('ctp-a');
      expect(g.tick.localtime).toBeGreaterThanOrEqual(g.emitMs + 2);
      expect(g.tick.localtime).toBeGreaterThanOrEqual(prev); // stream order
      prev = g.tick.localtime;
    }
  });

  it('samples latencies per source: two sources differ, each with the configured median', () => {
    const a = replica({ sourceSeed: 'a', fifo: false });
    const b = replica({ sourceSeed: 'b', fifo: false });
    const la = truth.map((s) => a.latencyOf(s.index, s.emitMs));
    const lb = truth.map((s) => b.latencyOf(s.index, s.emitMs));
    expect(la).not.toEqual(lb);
    const differ = la.filter((x, k) => x !== lb[k]).length;
    expect(differ / la.length).toBeGreaterThan(0.5);
    const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
    expect(median(la)).toBeGreaterThanOrEqual(7);
    expect(median(la)).toBeLessThanOrEqual(9);
    expect(Math.min(...la)).toBeGreaterThanOrEqual(2);
    const got = drain(a);
    for (const g of got.slice(0, 500)) expect(g.tick.localtime - g.emitMs).toBe(a.latencyOf(g.index, g.emitMs));
    // a faster source wins most races
    const fast = replica({ sourceSeed: 'a', latency: { medianMs: 1, sigma: 0.3, minMs: 0.5 } });
    const fastGot = drain(fast);
    const mean = (xs: Got[]) => xs.reduce((n, g) => n + g.tick.localtime - g.emitMs, 0) / xs.length;
    expect(mean(fastGot)).toBeLessThan(mean(got) / 3);
  });

  it('is deterministic per source seed, also after a restart (deliverFromMs)', () => {
    const a1 = drain(replica({ fifo: false }));
    const a2 = drain(replica({ fifo: false }));
    expect(a2).toEqual(a1);
    const mid = start + 30_000;
    const restarted = drain(replica({ fifo: false, deliverFromMs: mid }));
    expect(restarted.length).toBeGreaterThan(0);
    expect(restarted.every((g) => g.emitMs > mid)).toBe(true);
    const sortKey = (g: Got) => `${g.emitMs}|${g.index}`;
    expect(restarted.map(sortKey).sort()).toEqual(a1.filter((g) => g.emitMs > mid).map(sortKey).sort());
    expect(restarted.map((g) => g.tick.localtime).sort()).toEqual(a1.filter((g) => g.emitMs > mid).map((g) => g.tick.localtime).sort());
  });

  it('honours the drop rate (deterministically) and counts', () => {
    const r = replica({ dropRate: 0.1 });
    const got = drain(r);
    const st = r.stats();
    const rate = 1 - got.length / truth.length;
    expect(rate).toBeGreaterThan(0.08);
    expect(rate).toBeLessThan(0.12);
    expect(st.dropped + st.delivered).toBeGreaterThanOrEqual(truth.length);
    const other = drain(replica({ dropRate: 0.1, sourceSeed: 'ctp-b' }));
    const keysA = new Set(got.map((g) => `${g.index}|${g.emitMs}`));
    const overlap = other.filter((g) => keysA.has(`${g.index}|${g.emitMs}`)).length;
    expect(overlap).toBeLessThan(other.length); // another source drops other snapshots
    expect(drain(replica({ dropRate: 0.1 })).map((g) => g.emitMs)).toEqual(got.map((g) => g.emitMs));
  });

  it('injects labelled bad ticks of every kind; unlabelled copies stay faithful', () => {
    const got = drain(replica({ badTickRate: 0.05 }));
    const kinds = new Map<string, number>();
    for (const g of got) {
      const s = truthKey.get(`${g.index}|${g.emitMs}`)!.tick;
      if (g.bad === null) {
        expect(exchangeFields(g.tick)).toEqual(exchangeFields(s));
        continue;
      }
      kinds.set(g.bad, (kinds.get(g.bad) ?? 0) + 1);
      expect(exchangeFields(g.tick)).not.toEqual(exchangeFields(s));
      switch (g.bad) {
        case 'dbl_max': expect(g.tick.last_price).toBe(DBL_MAX); break;
        case 'negative_price': expect(g.tick.last_price).toBeLessThan(0); break;
        case 'crossed_book': expect(g.tick.bid_price_1).toBeGreaterThanOrEqual(g.tick.ask_price_1); break;
        case 'price_jump': expect(Math.abs(g.tick.last_price / s.last_price - 1)).toBeGreaterThanOrEqual(0.19); break;
        case 'stale_replay': expect(g.tick.datetime).toBeLessThan(s.datetime); expect(g.tick.symbol).toBe(s.symbol); break;
        case 'future_time': expect(g.tick.datetime).toBe(s.datetime + 3_600_000); break;
      }
    }
    const total = [...kinds.values()].reduce((a, b) => a + b, 0);
    expect(total / got.length).toBeGreaterThan(0.035);
    expect(total / got.length).toBeLessThan(0.065);
    expect([...kinds.keys()].sort()).toEqual(['crossed_book', 'dbl_max', 'future_time', 'negative_price', 'price_jump', 'stale_replay']);
  });

  it('reports nextDueMs = arrival of the next copy, also across a break with nothing pending', () => {
    const r = replica();
    let t = start;
    for (let k = 0; k < 200; k++) {
      const p = r.poll(t);
      expect(p.nextDueMs).not.toBeNull();
      expect(p.nextDueMs!).toBeGreaterThan(t);
      const next = r.poll(p.nextDueMs!);
      expect(next.due.length).toBeGreaterThan(0);
      expect(next.due[0]!.localtime).toBe(p.nextDueMs);
      t = p.nextDueMs!;
    }
    // at the lunch break, the next copy is the 13:00 session's (or the 13:30 commodity one's)
    const lunch = replica({ tape: { seed: SEED, calendar, startMs: atShanghai('20260106', '11:31') } });
    const p = lunch.poll(atShanghai('20260106', '11:40'));
    expect(p.due).toEqual([]);
    expect(p.nextDueMs).toBeGreaterThanOrEqual(atShanghai('20260106', '13:00'));
    expect(p.nextDueMs).toBeLessThan(atShanghai('20260106', '13:01'));
  });
});
