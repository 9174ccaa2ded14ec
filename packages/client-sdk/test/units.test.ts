/**
 * The client's pure parts as specs: the liveness rule, the bounded queue's policies, and the pattern
 * grammar (exact product codes, the wire prefixes of each stream).
 */
import { describe, expect, it } from 'vitest';
import type { Exchange, Tick } from '@mdhub/protocol';
import { emptyMarketTick } from '@mdhub/protocol';
import { Liveness } from '../src/liveness.js';
import { TickQueue } from '../src/queue.js';
import { matchesPattern, parsePattern, productCode, wirePrefixes } from '../src/patterns.js';
import { ClientError } from '../src/errors.js';

function tick(vt: string, iseq: number, lastVolume = 1): Tick {
  const [symbol, exchange] = vt.split('.') as [string, Exchange];
  return { ...emptyMarketTick(symbol, exchange), datetime: iseq, trading_day: '20251125', localtime: 0, gateway_name: 'g', seq: iseq, iseq, source: 'g', gw_recv_ts: 0, hub_recv_ts: 0, hub_pub_ts: 0, run_id: 'r', last_volume: lastVolume, volume: iseq };
}

describe('liveness: down only when drained and silent, by this process own clock', () => {
  it('a slow consumer (messages still waiting in the socket) is never down, however long the silence', () => {
    let now = 0;
    const l = new Liveness(2000, () => now);
    now = 60_000;
    expect(l.check(false)).toBeNull();
    expect(l.down).toBe(false);
  });

  it('drained and silent for staleAfterMs: down once, up at the next message', () => {
    let now = 0;
    const l = new Liveness(2000, () => now);
    now = 1999;
    expect(l.check(true)).toBeNull();
    now = 2500;
    expect(l.check(true)).toBe(2500);
    expect(l.check(true)).toBeNull(); // said once
    expect(l.message()).toBe(true);
    expect(l.down).toBe(false);
    now = 3000;
    expect(l.check(true)).toBeNull(); // silence counts from the last message
  });
});

describe('bounded queue', () => {
  it('keeps FIFO order below the bound, and survives compaction', () => {
    const q = new TickQueue(100_000, 'conflate');
    for (let i = 1; i <= 10_000; i++) q.push(tick('rb2701.SHFE', i));
    for (let i = 1; i <= 6000; i++) expect(q.shift()!.iseq).toBe(i);
    for (let i = 10_001; i <= 12_000; i++) q.push(tick('rb2701.SHFE', i));
    const rest: number[] = [];
    for (let t = q.shift(); t; t = q.shift()) rest.push(t.iseq);
    expect(rest).toEqual(Array.from({ length: 6000 }, (_, k) => 6001 + k));
    expect(q.length).toBe(0);
  });

  it('conflate: beyond the bound an instrument waiting gets its newest state in place, last_volume adding up, and the count says how many', () => {
    const q = new TickQueue(3, 'conflate');
    expect(q.push(tick('rb2701.SHFE', 1, 2))).toBe('queued');
    expect(q.push(tick('cu2701.SHFE', 1))).toBe('queued');
    expect(q.push(tick('rb2701.SHFE', 2, 3))).toBe('queued');
    expect(q.push(tick('rb2701.SHFE', 3, 4))).toBe('conflated');
    expect(q.push(tick('cu2701.SHFE', 2, 5))).toBe('conflated');
    // An instrument with nothing waiting is queued anyway: the bound is maxQueue + one per instrument.
    expect(q.push(tick('au2706.SHFE', 1))).toBe('queued');
    expect(q.conflated).toBe(2);
    const out: Array<[string, number, number]> = [];
    for (let t = q.shift(); t; t = q.shift()) out.push([t.symbol, t.iseq, t.last_volume]);
    expect(out).toEqual([['rb2701', 1, 2], ['cu2701', 2, 6], ['rb2701', 3, 7], ['au2706', 1, 1]]);
  });

  it('error: beyond the bound the push is refused', () => {
    const q = new TickQueue(2, 'error');
    q.push(tick('rb2701.SHFE', 1));
    q.push(tick('rb2701.SHFE', 2));
    expect(q.push(tick('rb2701.SHFE', 3))).toBe('overflow');
    expect(q.length).toBe(2);
  });
});

describe('patterns', () => {
  it('parses the shared grammar and refuses the rest with MDH_ERR_CLIENT_BAD_PATTERN', () => {
    expect(parsePattern('*')).toEqual({ kind: 'all', text: '*' });
    expect(parsePattern('*.SHFE')).toMatchObject({ kind: 'exchange', exchange: 'SHFE' });
    expect(parsePattern('rb*.SHFE')).toMatchObject({ kind: 'product', exchange: 'SHFE', product: 'rb' });
    expect(parsePattern('IO2612-C-4000.CFFEX')).toMatchObject({ kind: 'instrument', symbol: 'IO2612-C-4000', exchange: 'CFFEX' });
    for (const bad of ['rb2701', 'rb2701.XXX', 'r*b.SHFE', '*.', '1*.SSE', '']) {
      expect(() => parsePattern(bad)).toThrow(ClientError);
      expect(() => parsePattern(bad)).toThrow(/MDH_ERR_CLIENT_BAD_PATTERN/);
    }
  });

  it('a product pattern matches the exact product code: c*.DCE is corn, never cs; m*.DCE futures, m_o*.DCE options', () => {
    const c = parsePattern('c*.DCE');
    expect(matchesPattern(c, 'c2701', 'DCE')).toBe(true);
    expect(matchesPattern(c, 'cs2701', 'DCE')).toBe(false);
    expect(matchesPattern(c, 'c2701', 'SHFE')).toBe(false);
    expect(matchesPattern(parsePattern('m*.DCE'), 'm2701-C-2850', 'DCE')).toBe(false);
    expect(matchesPattern(parsePattern('m_o*.DCE'), 'm2701-C-2850', 'DCE')).toBe(true);
    expect(matchesPattern(parsePattern('SR*.CZCE'), 'SR701', 'CZCE')).toBe(true);
    expect(matchesPattern(parsePattern('IO*.CFFEX'), 'IO2612-C-4000', 'CFFEX')).toBe(true);
    expect(productCode('cu2701C70000', 'SHFE')).toBe('cu_o');
    expect(productCode('L2609F', 'DCE')).toBe('l_f');
    expect(productCode('10008123', 'SSE')).toBeNull();
  });

  it('wire prefixes: an instrument always its per-tick topic, wide patterns per-tick or batch', () => {
    expect(wirePrefixes(parsePattern('rb2701.SHFE'), 'batch')).toEqual(['tick.SHFE.rb2701.']);
    expect(wirePrefixes(parsePattern('*'), 'tick')).toEqual(['tick.']);
    expect(wirePrefixes(parsePattern('*'), 'batch')).toEqual(['batch.']);
    expect(wirePrefixes(parsePattern('*.DCE'), 'batch')).toEqual(['batch.DCE.']);
    expect(wirePrefixes(parsePattern('c*.DCE'), 'tick')).toEqual(['tick.DCE.c']);
    expect(wirePrefixes(parsePattern('m_o*.DCE'), 'tick')).toEqual(['tick.DCE.m']);
    expect(wirePrefixes(parsePattern('c*.DCE'), 'batch')).toEqual(['batch.DCE.']);
  });
});
