/**
 * The raw baseline: one ZeroMQ PUB → SUB hop between two processes, nothing else.
 *
 *   raw.ts pub --instruments I --rate R --mode paced|blast|storm [--bursts B --period-ms P]   (binds tcp://127.0.0.1:*)
 *   raw.ts sub --endpoint E --mode paced|blast|storm
 *
 * The publisher replays the gateway-sim Tape (same seed, anchor and universe size as the hub run) at
 * market clock rate R, timer-paced like the simulated gateway (setTimeout to the next snapshot, no busy
 * spin). Each timer turn's snapshots are stamped once as they "arrive" (CLOCK_MONOTONIC, carried in a
 * third frame), then encoded with @mdhub/protocol's TickEncoder and sent one by one on topic
 * tick.<EX>.<sym>., the way the hub's Publisher sends: a send timeout of 0, so each send goes synchronously
 * into libzmq (the fastest zeromq.js send; awaiting each send roughly doubles its cost). The subscriber decodes each payload with decodeTick (as @mdhub/client does)
 * and records hrtime − stamp. `blast` mode sends a pool of encoded ticks as fast as it can: the
 * subscriber's own ceiling. `storm` mode is the raw side of the market-open storm: every instrument's tick
 * (one each, encoded beforehand) sent in one synchronous loop, B bursts P ms apart; the subscriber reports
 * each burst's first → last receive time.
 */
import { parseArgs } from 'node:util';
import * as zmq from 'zeromq';
import type { Tick } from '@mdhub/protocol';
import { TickEncoder, decodeTick, encodeEvent, tickTopic } from '@mdhub/protocol';
import { TradingCalendar, listProducts, loadMarketData } from '@mdhub/core';
import { Tape, buildUniverse } from '@mdhub/gateway-sim';

/** libzmq's draft ZMQ_OUT_BATCH_SIZE / ZMQ_IN_BATCH_SIZE, set as the hub's Publisher and @mdhub/client set them. */
const ZMQ_OUT_BATCH_SIZE = 102;
const ZMQ_IN_BATCH_SIZE = 101;
import type { ClockReport, RawPubResult, RawSubResult, ReadyMsg, ToRaw } from './common.js';
import { MARKET_SEED, SIM_ANCHOR, encodeHist, epochMinusMonoUs, monoNs, newHist, realtimeMinusMonoUs, recordUs } from './common.js';

const role = process.argv[2];
const { values } = parseArgs({
  args: process.argv.slice(3),
  options: {
    endpoint: { type: 'string' }, instruments: { type: 'string' }, rate: { type: 'string' }, mode: { type: 'string' },
    seed: { type: 'string' }, anchor: { type: 'string' }, bursts: { type: 'string' }, 'period-ms': { type: 'string' },
  },
});
const mode: 'paced' | 'blast' | 'storm' = values.mode === 'blast' || values.mode === 'storm' ? values.mode : 'paced';
const send = (m: ReadyMsg | RawPubResult | RawSubResult): void => {
  process.send?.(m);
};
const clockReport = (): ClockReport => ({ offsetUs: epochMinusMonoUs(), realtimeOffsetUs: realtimeMinusMonoUs(), pid: process.pid });
process.on('disconnect', () => process.exit(0));

async function pub(): Promise<void> {
  const instruments = Number(values.instruments ?? 5000);
  const rate = Number(values.rate ?? 1);
  const seed = Number(values.seed ?? MARKET_SEED);
  const anchor = Date.parse(values.anchor ?? SIM_ANCHOR);
  const calendar = new TradingCalendar(loadMarketData());
  const tradingDay = calendar.tradingDayAt('commodity_day', anchor) ?? calendar.tradingDayOnOrAfter(values.anchor ?? SIM_ANCHOR);
  const universe = buildUniverse({ seed, tradingDay, products: listProducts(), instruments });
  const tape = new Tape(universe, { seed, calendar, startMs: anchor });
  const topics = universe.map((u) => tickTopic(u.exchange, u.symbol));
  const iseq = new Int32Array(universe.length);
  const offset = epochMinusMonoUs();
  const enc = new TickEncoder();
  const runId = '00000000-0000-4000-8000-00000000raw0';
  let seq = 0;
  const toTick = (t: Tick, index: number, stampUs: number, localtime: number): Tick => {
    t.localtime = Math.round(localtime);
    t.gateway_name = 'raw';
    t.source = 'raw';
    t.seq = ++seq;
    t.iseq = ++iseq[index]!;
    t.gw_recv_ts = stampUs;
    t.hub_recv_ts = stampUs;
    t.hub_pub_ts = Math.round(monoNs() / 1000 + offset);
    t.run_id = runId;
    return t;
  };

  const sock = new zmq.Publisher({ sendHighWaterMark: mode === 'blast' ? 10_000 : 100_000, sendTimeout: 0, linger: 0 });
  (sock as unknown as { setInt32Option(id: number, v: number): void }).setInt32Option(ZMQ_OUT_BATCH_SIZE, 65_536); // as the hub's PUB
  let sendFailed = 0;
  const failed = (): void => { sendFailed++; };
  await sock.bind('tcp://127.0.0.1:*');
  send({ t: 'ready', endpoint: sock.lastEndpoint ?? '', clock: clockReport() });
  // Heartbeats as a hub sends them (no features: per-tick topics only): @mdhub/client starts delivering a
  // subscription once a heartbeat shows it reached the publisher, and judges liveness by them.
  const startedAt = Date.now();
  const heartbeat = setInterval(() => {
    sock.send(['heartbeat', encodeEvent({ hub_id: 'raw', run_id: runId, seq, ts: Date.now(), market_ts: Date.now(), simulated: true, v: 1, started_at: startedAt, state: 'running', features: [] })]).catch(failed);
  }, 250);
  heartbeat.unref();

  let sent = 0;
  let sentInWindow = 0;
  let turns = 0;
  let fromNs = 0;
  let toNs = 0;
  let stopNs = 0;
  let finished = false;

  const paced = async (startNs: number): Promise<void> => {
    const marketAt = (ns: number): number => anchor + ((ns - startNs) / 1e6) * rate;
    const loop = async (): Promise<void> => {
      const now = monoNs();
      if (now >= stopNs || finished) return;
      const snaps = tape.advance(marketAt(now));
      if (snaps.length > 0) {
        turns++;
        // the turn's ticks "arrive" now: one stamp for all of them, then one synchronous send each
        const st = monoNs();
        const stUs = Math.round(st / 1000 + offset);
        const inWin = st >= fromNs && st <= toNs;
        const market = marketAt(st);
        for (let i = 0; i < snaps.length; i++) {
          const s = snaps[i]!;
          const payload = enc.encode(toTick(s.tick as Tick, s.index, stUs, market));
          const frame = Buffer.allocUnsafe(8);
          frame.writeDoubleLE(st, 0);
          sock.send([topics[s.index]!, payload, frame]).catch(failed);
          sent++;
          if (inWin) sentInWindow++;
        }
      }
      const next = tape.peekNextEmitMs();
      const wait = next === null ? 1000 : Math.max(0, (next - marketAt(monoNs())) / rate);
      setTimeout(() => void loop(), Math.min(wait, 1000));
    };
    await loop();
  };

  const blast = async (): Promise<void> => {
    // a pool of real tape ticks, encoded once: the publisher side then costs only the send
    // Each send is a new state of its instrument (seq and iseq move on: a client drops a repeated iseq as a
    // duplicate), so the tick is re-encoded per send.
    const snaps = tape.advance(anchor + 3000).slice(0, 20_000);
    const stUs = Math.round(monoNs() / 1000 + offset);
    const pool = snaps.map((s) => ({ topic: topics[s.index]!, index: s.index, tick: s.tick as Tick }));
    let i = 0;
    for (;;) {
      const now = monoNs();
      if (now >= stopNs || finished) break;
      const p = pool[i++ % pool.length]!;
      const frame = Buffer.allocUnsafe(8);
      frame.writeDoubleLE(now, 0);
      sock.send([p.topic, enc.encode(toTick(p.tick, p.index, stUs, anchor)), frame]).catch(failed);
      sent++;
      if (now >= fromNs && now <= toNs) sentInWindow++;
      if ((i & 1023) === 0) await new Promise((r) => setImmediate(r));
    }
  };

  const storm = async (): Promise<void> => {
    // one tick per instrument, encoded before the bursts (the hub's storm is the same universe)
    const latest = new Map<number, Tick>();
    for (const s of tape.advance(anchor + 3000)) latest.set(s.index, s.tick as Tick);
    const stUs = Math.round(monoNs() / 1000 + offset);
    const pool = [...latest.entries()].map(([index, t]) => ({ topic: topics[index]!, payload: enc.encode(toTick(t, index, stUs, anchor)) }));
    const bursts = Number(values.bursts ?? 3);
    const periodMs = Number(values['period-ms'] ?? 1000);
    for (let b = 0; b < bursts && !finished; b++) {
      const frame = Buffer.allocUnsafe(8);
      frame.writeDoubleLE(monoNs(), 0);
      for (const p of pool) {
        sock.send([p.topic, p.payload, frame]).catch(failed);
        sent++;
        sentInWindow++;
      }
      await new Promise((r) => setTimeout(r, periodMs));
    }
  };

  process.on('message', (m: ToRaw) => {
    if (m.t === 'go') {
      fromNs = m.fromNs;
      toNs = m.toNs;
      stopNs = m.stopNs;
      if (mode === 'storm') void storm();
      else if (mode === 'blast') void blast();
      else void paced(monoNs());
    } else if (m.t === 'finish') {
      finished = true;
      send({ t: 'pub-result', sent, sentInWindow, ratePerS: sentInWindow / ((toNs - fromNs) / 1e9), turns, sendFailed });
      setTimeout(() => {
        sock.close();
        process.exit(0);
      }, 50);
    }
  });
}

async function sub(): Promise<void> {
  const sock = new zmq.Subscriber({ receiveHighWaterMark: mode === 'blast' ? 10_000 : 100_000, linger: 0 });
  (sock as unknown as { setInt32Option(id: number, v: number): void }).setInt32Option(ZMQ_IN_BATCH_SIZE, 65_536); // as @mdhub/client
  sock.connect(values.endpoint!);
  sock.subscribe('tick.');
  const lat = newHist();
  const decode = newHist();
  let received = 0;
  let inWindow = 0;
  let fromNs = Infinity;
  let toNs = -Infinity;
  const bursts = new Map<number, { count: number; first: number; last: number }>();
  process.on('message', (m: ToRaw) => {
    if (m.t === 'go') {
      fromNs = m.fromNs;
      toNs = m.toNs;
    } else if (m.t === 'finish') {
      send({
        t: 'raw-result', lat: encodeHist(lat), decode: encodeHist(decode), received, inWindow,
        ratePerS: inWindow / ((toNs - fromNs) / 1e9), clock: clockReport(),
        ...(mode === 'storm' ? { bursts: [...bursts.values()].map((b) => ({ count: b.count, drainMs: (b.last - b.first) / 1e6 })) } : {}),
      });
      setTimeout(() => {
        sock.close();
        process.exit(0);
      }, 50);
    }
  });
  send({ t: 'ready', clock: clockReport() });
  for await (const frames of sock) {
    const t0 = monoNs();
    decodeTick(frames[1]!);
    const t1 = monoNs();
    received++;
    if (t1 < fromNs || t1 > toNs) continue;
    inWindow++;
    const st = frames[2]!.readDoubleLE(0);
    recordUs(lat, (t1 - st) / 1000);
    if (mode === 'storm') {
      const b = bursts.get(st);
      if (b) {
        b.count++;
        b.last = t1;
      } else bursts.set(st, { count: 1, first: t1, last: t1 });
    }
    // decode cost in ns/1000 rounded: recorded in ns for resolution (the histogram is unit-free)
    decode.recordValue(Math.max(1, Math.round(t1 - t0)));
  }
}

if (role === 'pub') void pub();
else if (role === 'sub') void sub();
else {
  process.stderr.write('usage: raw.ts pub|sub ...\n');
  process.exit(2);
}
