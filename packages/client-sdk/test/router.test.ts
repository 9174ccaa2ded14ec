/**
 * The client's sequencing and merge rules (src/router.ts) as a spec, without sockets: per-instrument iseq,
 * joins with a snapshot (no hole, no duplicate), recovery after a gap, the hub-wide seq of a subscription
 * of everything, states_replaced, restarts and giving up.
 */
import { describe, expect, it } from 'vitest';
import type { Exchange, Tick } from '@mdhub/protocol';
import { emptyMarketTick } from '@mdhub/protocol';
import { parsePattern } from '../src/patterns.js';
import type { Cover, GapInfo, RouteTarget, SnapshotData } from '../src/router.js';
import { COVER_ALL, Router, coverOf } from '../src/router.js';

let seq = 0;
function tick(vt: string, iseq: number, s = ++seq): Tick {
  const [symbol, exchange] = vt.split('.') as [string, Exchange];
  return { ...emptyMarketTick(symbol, exchange), datetime: iseq, trading_day: '20251125', localtime: 0, gateway_name: 'g', seq: s, iseq, source: 'g', gw_recv_ts: 0, hub_recv_ts: 0, hub_pub_ts: 0, run_id: 'r1' };
}

function target(patterns: string[], joining = false): RouteTarget & { got: string[] } {
  const got: string[] = [];
  return { patterns: patterns.map(parsePattern), joining, got, deliver: (t) => got.push(`${t.symbol}.${t.exchange}#${t.iseq}`) };
}

function setup(recovering = true): { r: Router; gaps: GapInfo[]; asked: Cover[]; full: number[] } {
  const gaps: GapInfo[] = [];
  const asked: Cover[] = [];
  const full: number[] = [];
  const r = new Router({ gap: (g) => gaps.push(g), recover: (c) => asked.push(c), bufferFull: (n) => full.push(n) }, { recovering, maxBuffered: 100 });
  return { r, gaps, asked, full };
}

const snap = (ticks: Tick[], s = 1000): SnapshotData => ({ run_id: 'r1', seq: s, ticks, states: {}, unknown: [] });

describe('per-instrument sequence', () => {
  it('delivers the next iseq, drops copies already applied (both streams), and only to matching subscriptions', () => {
    const { r, gaps } = setup(false);
    const all = target(['*']);
    const rb = target(['rb2701.SHFE']);
    const c = target(['c*.DCE']);
    r.addTarget(all);
    r.addTarget(rb);
    r.addTarget(c);
    for (const t of [tick('rb2701.SHFE', 1), tick('rb2701.SHFE', 2), tick('rb2701.SHFE', 2), tick('cs2701.DCE', 1), tick('c2701.DCE', 1), tick('rb2701.SHFE', 1)]) r.onTick(t);
    expect(rb.got).toEqual(['rb2701.SHFE#1', 'rb2701.SHFE#2']);
    expect(c.got).toEqual(['c2701.DCE#1']);
    expect(all.got).toEqual(['rb2701.SHFE#1', 'rb2701.SHFE#2', 'cs2701.DCE#1', 'c2701.DCE#1']);
    expect(r.counters.duplicates).toBe(2);
    expect(gaps).toEqual([]);
  });

  it('without snapshots a gap is reported and the stream goes on', () => {
    const { r, gaps, asked } = setup(false);
    const all = target(['*']);
    r.addTarget(all);
    r.onTick(tick('rb2701.SHFE', 5)); // first sight: no gap
    r.onTick(tick('rb2701.SHFE', 8));
    expect(all.got).toEqual(['rb2701.SHFE#5', 'rb2701.SHFE#8']);
    expect(gaps).toEqual([{ instrument: 'rb2701.SHFE', expected: 6, got: 8, reason: 'iseq', recovering: false }]);
    expect(asked).toEqual([]);
  });
});

describe('recovery after a gap', () => {
  it('holds the instrument, asks for it, and merges: the snapshot state, then the buffered ticks after it', () => {
    const { r, gaps, asked } = setup();
    const all = target(['*.SHFE']);
    r.addTarget(all);
    // Joined earlier: rb is held at iseq 1 (a join with nothing known: first tick is iseq 1).
    r.onTick(tick('rb2701.SHFE', 1));
    r.onTick(tick('rb2701.SHFE', 4)); // 2, 3 lost
    r.onTick(tick('rb2701.SHFE', 5));
    r.onTick(tick('cu2701.SHFE', 1)); // other instruments flow on
    expect(gaps).toMatchObject([{ instrument: 'rb2701.SHFE', expected: 2, got: 4, recovering: true }]);
    expect(asked).toEqual([coverOf(['rb2701.SHFE'])]);
    expect(all.got).toEqual(['rb2701.SHFE#1', 'cu2701.SHFE#1']);
    // The snapshot was taken after iseq 4 was published (the client had 4 already, buffered).
    r.applySnapshot(asked[0]!, snap([tick('rb2701.SHFE', 4)]), null);
    r.onTick(tick('rb2701.SHFE', 6));
    expect(all.got).toEqual(['rb2701.SHFE#1', 'cu2701.SHFE#1', 'rb2701.SHFE#4', 'rb2701.SHFE#5', 'rb2701.SHFE#6']);
    expect(r.counters.recovered).toBe(1);
    expect(r.counters.buffered).toBe(0);
  });

  it('a snapshot newer than what was buffered wins, and buffered ticks it covers are dropped', () => {
    const { r, asked } = setup();
    const t = target(['rb2701.SHFE']);
    r.addTarget(t);
    r.onTick(tick('rb2701.SHFE', 1));
    r.onTick(tick('rb2701.SHFE', 3));
    r.onTick(tick('rb2701.SHFE', 4));
    r.applySnapshot(asked[0]!, snap([tick('rb2701.SHFE', 5)]), null);
    r.onTick(tick('rb2701.SHFE', 5));
    r.onTick(tick('rb2701.SHFE', 6));
    expect(t.got).toEqual(['rb2701.SHFE#1', 'rb2701.SHFE#5', 'rb2701.SHFE#6']);
  });

  it('a hole the snapshot does not cover is a gap again, and asked for again', () => {
    const { r, gaps, asked } = setup();
    const t = target(['rb2701.SHFE']);
    r.addTarget(t);
    r.onTick(tick('rb2701.SHFE', 1));
    r.onTick(tick('rb2701.SHFE', 5));
    // A reply taken before iseq 5 was published (e.g. an earlier request): state 3, then 5 from the buffer is a hole (4).
    r.applySnapshot(asked[0]!, snap([tick('rb2701.SHFE', 3)]), null);
    expect(t.got).toEqual(['rb2701.SHFE#1', 'rb2701.SHFE#3']);
    expect(gaps.map((g) => [g.expected, g.got])).toEqual([[2, 5], [4, 5]]);
    expect(asked).toHaveLength(2);
    r.applySnapshot(asked[1]!, snap([tick('rb2701.SHFE', 5)]), null);
    expect(t.got).toEqual(['rb2701.SHFE#1', 'rb2701.SHFE#3', 'rb2701.SHFE#5']);
  });

  it('giving up (no snapshot to be had) delivers what was buffered and reports the hole without asking again', () => {
    const { r, gaps, asked } = setup();
    const t = target(['rb2701.SHFE']);
    r.addTarget(t);
    r.onTick(tick('rb2701.SHFE', 1));
    r.onTick(tick('rb2701.SHFE', 4));
    r.onTick(tick('rb2701.SHFE', 5));
    r.applySnapshot(asked[0]!, null, null);
    expect(t.got).toEqual(['rb2701.SHFE#1', 'rb2701.SHFE#4', 'rb2701.SHFE#5']);
    expect(gaps.map((g) => g.recovering)).toEqual([true, false]);
    expect(asked).toHaveLength(1);
    expect(r.recovering).toBe(true);
  });

  it('reports a full buffer', () => {
    const { r, full } = setup();
    r.addTarget(target(['*']));
    r.onTick(tick('rb2701.SHFE', 1));
    for (let i = 3; i < 110; i++) r.onTick(tick('rb2701.SHFE', i));
    expect(full.length).toBeGreaterThan(0);
  });
});

describe('joining with a snapshot', () => {
  it('buffers the live ticks, takes the snapshot state, drops what it already reflects: no hole, no duplicate', () => {
    const { r, gaps } = setup();
    const t = target(['*'], true);
    r.addTarget(t);
    const join = r.openJoin(COVER_ALL, [t]);
    // Live ticks before the reply: rb 7, 8 and cu 3 (cu's snapshot will be 3 already: taken after it).
    r.onTick(tick('rb2701.SHFE', 7));
    r.onTick(tick('cu2701.SHFE', 3));
    r.onTick(tick('rb2701.SHFE', 8));
    expect(t.got).toEqual([]);
    r.applySnapshot(COVER_ALL, snap([tick('rb2701.SHFE', 6, 1), tick('cu2701.SHFE', 3, 2), tick('au2706.SHFE', 9, 3)]), join);
    expect(t.joining).toBe(false);
    expect(t.got).toEqual(['rb2701.SHFE#6', 'cu2701.SHFE#3', 'au2706.SHFE#9', 'rb2701.SHFE#7', 'rb2701.SHFE#8']);
    r.onTick(tick('cu2701.SHFE', 4));
    r.onTick(tick('zn2701.SHFE', 1)); // new since the snapshot: starts at 1
    r.onTick(tick('ni2701.SHFE', 2)); // new, but 1 was missed: a gap
    expect(t.got.slice(5)).toEqual(['cu2701.SHFE#4', 'zn2701.SHFE#1']);
    expect(gaps).toMatchObject([{ instrument: 'ni2701.SHFE', expected: 1, got: 2 }]);
  });

  it('a subscription joining an instrument the client already holds starts from the client latest tick, then follows live', () => {
    const { r } = setup();
    const a = target(['*']);
    r.addTarget(a);
    r.onTick(tick('rb2701.SHFE', 1));
    r.onTick(tick('rb2701.SHFE', 2));
    const b = target(['rb2701.SHFE'], true);
    r.addTarget(b);
    const join = r.openJoin(coverOf(['rb2701.SHFE']), [b]);
    r.onTick(tick('rb2701.SHFE', 3)); // a gets it; b waits
    // The snapshot (taken at iseq 2, merged once the stream caught up with it): b starts from the client's 3.
    r.applySnapshot(join.cover, snap([tick('rb2701.SHFE', 2)]), join);
    r.onTick(tick('rb2701.SHFE', 4));
    expect(a.got).toEqual(['rb2701.SHFE#1', 'rb2701.SHFE#2', 'rb2701.SHFE#3', 'rb2701.SHFE#4']);
    expect(b.got).toEqual(['rb2701.SHFE#3', 'rb2701.SHFE#4']);
  });

  it('an instrument held but behind a snapshot the stream has caught up with lost its last ticks: the snapshot state stands in, as a gap', () => {
    const { r, gaps } = setup();
    const a = target(['*']);
    r.addTarget(a);
    r.onTick(tick('rb2701.SHFE', 1));
    r.onTick(tick('cu2701.SHFE', 1));
    r.applySnapshot(COVER_ALL, snap([tick('rb2701.SHFE', 1), tick('cu2701.SHFE', 3)]), null);
    expect(a.got).toEqual(['rb2701.SHFE#1', 'cu2701.SHFE#1', 'cu2701.SHFE#3']);
    expect(gaps).toEqual([{ instrument: 'cu2701.SHFE', expected: 2, got: 3, reason: 'iseq', recovering: true }]);
    expect(r.counters.recovered).toBe(1);
  });

  it('an instrument with no state yet (unknown to the hub) starts at iseq 1', () => {
    const { r, gaps } = setup();
    const t = target(['rb2701.SHFE'], true);
    r.addTarget(t);
    const join = r.openJoin(coverOf(['rb2701.SHFE']), [t]);
    r.applySnapshot(join.cover, { ...snap([]), unknown: ['rb2701.SHFE'] }, join);
    r.onTick(tick('rb2701.SHFE', 1));
    expect(t.got).toEqual(['rb2701.SHFE#1']);
    expect(gaps).toEqual([]);
  });
});

describe('the hub-wide seq of a subscription of everything', () => {
  it('in order (per-tick stream): a jump is a gap at once and everything is fetched again; nothing waits meanwhile', () => {
    const { r, gaps, asked } = setup();
    const all = target(['*']);
    r.addTarget(all);
    r.armSeq(10);
    r.onStreamTick(tick('rb2701.SHFE', 1, 11), true);
    r.onStreamTick(tick('cu2701.SHFE', 1, 13), true);
    expect(gaps).toMatchObject([{ instrument: '*', expected: 12, got: 13, reason: 'seq', recovering: true }]);
    expect(asked).toEqual([COVER_ALL]);
    expect(all.got).toEqual(['rb2701.SHFE#1', 'cu2701.SHFE#1']);
    // seq 12 was rb's iseq 2: it never ticks again; the snapshot (merged once caught up) brings it back.
    r.applySnapshot(COVER_ALL, snap([tick('rb2701.SHFE', 2, 12), tick('cu2701.SHFE', 1, 13)], 13), null);
    expect(all.got).toEqual(['rb2701.SHFE#1', 'cu2701.SHFE#1', 'rb2701.SHFE#2']);
  });

  it('batches of different exchanges of one turn come in any order: ticks are handed on in seq order; a loss is judged at the heartbeat', () => {
    const { r, gaps } = setup(false);
    const all = target(['*']);
    r.addTarget(all);
    r.armSeq(0);
    // One turn: the DCE batch (seq 2, 4) before the SHFE batch (1, 3).
    r.onStreamTick(tick('m2705.DCE', 1, 2), false);
    r.onStreamTick(tick('m2705.DCE', 2, 4), false);
    expect(all.got).toEqual([]);
    expect(r.heldBack).toBe(2);
    r.onStreamTick(tick('rb2701.SHFE', 1, 1), false);
    r.onStreamTick(tick('rb2701.SHFE', 2, 3), false);
    expect(all.got).toEqual(['rb2701.SHFE#1', 'm2705.DCE#1', 'rb2701.SHFE#2', 'm2705.DCE#2']);
    r.seqHeartbeat(4);
    expect(gaps).toEqual([]);
    // seq 6 lost: 7 waits for it until the heartbeat says it is not coming.
    r.onStreamTick(tick('rb2701.SHFE', 3, 5), false);
    r.onStreamTick(tick('rb2701.SHFE', 5, 7), false);
    expect(all.got).toHaveLength(5);
    r.seqHeartbeat(7);
    expect(gaps).toMatchObject([{ instrument: '*', expected: 6, got: 7, reason: 'seq' }, { instrument: 'rb2701.SHFE', expected: 4, got: 5, reason: 'iseq' }]);
    expect(all.got.slice(5)).toEqual(['rb2701.SHFE#5']);
    r.onStreamTick(tick('rb2701.SHFE', 6, 8), false);
    r.seqHeartbeat(8);
    expect(gaps).toHaveLength(2);
    expect(all.got.slice(6)).toEqual(['rb2701.SHFE#6']);
  });

  it('ordering by instrument only: every tick handed on as it comes; a loss still found at the heartbeat', () => {
    const gaps: GapInfo[] = [];
    const r = new Router({ gap: (g) => gaps.push(g), recover: () => {}, bufferFull: () => {} }, { recovering: false, maxBuffered: 100, holdForOrder: false });
    const all = target(['*']);
    r.addTarget(all);
    r.armSeq(0);
    r.onStreamTick(tick('m2705.DCE', 1, 2), false);
    r.onStreamTick(tick('rb2701.SHFE', 1, 1), false);
    r.onStreamTick(tick('m2705.DCE', 2, 4), false); // 3 lost
    expect(all.got).toEqual(['m2705.DCE#1', 'rb2701.SHFE#1', 'm2705.DCE#2']);
    expect(r.heldBack).toBe(0);
    r.seqHeartbeat(4);
    expect(gaps).toMatchObject([{ instrument: '*', expected: 3, got: 4, reason: 'seq' }]);
    expect(r.seqPosition).toBe(4);
  });
});

describe('status events and restarts', () => {
  it('states_replaced naming a held instrument is a gap and a re-fetch; others are ignored', () => {
    const { r, gaps, asked } = setup();
    const t = target(['rb2701.SHFE']);
    r.addTarget(t);
    r.onTick(tick('rb2701.SHFE', 1));
    r.statesReplaced(['rb2701.SHFE', 'cu2701.SHFE']);
    expect(gaps).toEqual([{ instrument: 'rb2701.SHFE', expected: 2, got: 2, reason: 'states_replaced', recovering: true }]);
    expect(asked).toEqual([coverOf(['rb2701.SHFE'])]);
    r.onTick(tick('rb2701.SHFE', 2)); // the replacement state: delivered, nothing waits
    expect(t.got).toEqual(['rb2701.SHFE#1', 'rb2701.SHFE#2']);
    r.applySnapshot(asked[0]!, snap([tick('rb2701.SHFE', 2)]), null);
    expect(t.got).toEqual(['rb2701.SHFE#1', 'rb2701.SHFE#2']);
  });

  it('reset forgets everything held; removing a subscription forgets what nobody else matches', () => {
    const { r } = setup(false);
    const a = target(['*.SHFE']);
    const b = target(['rb2701.SHFE']);
    r.addTarget(a);
    r.addTarget(b);
    r.onTick(tick('rb2701.SHFE', 1));
    r.onTick(tick('cu2701.SHFE', 1));
    r.removeTarget(a);
    expect(r.latest('SHFE', 'cu2701')).toBeNull();
    expect(r.latest('SHFE', 'rb2701')?.iseq).toBe(1);
    r.reset();
    expect(r.latest('SHFE', 'rb2701')).toBeNull();
  });
});
