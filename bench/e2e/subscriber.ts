/**
 * The measuring subscriber: @mdhub/client, a callback per tick.
 *
 *   subscriber.ts --endpoint E --keys FILE [--pattern P]... [--storm] [--batch auto|off]
 *
 * With `--batch auto` (the client's default) wide patterns take the batch stream when the hub serves it;
 * `--batch off` keeps every subscription on the per-tick topics.
 *
 * Per tick, at the top of the callback (after the client's decodeTick): now in epoch µs from
 * CLOCK_MONOTONIC + this process's epoch offset (the hub's own method), so
 *   e2e      = now − gw_recv_ts
 *   link     = hub_recv_ts − gw_recv_ts        (gateway → core link, incl. the gateway's batch encode)
 *   hub      = hub_pub_ts − hub_recv_ts        (decode batch, cleanse, arbitrate, encode; until the PUB queue)
 *   pub2sub  = now − hub_pub_ts                (PUB queue, ZeroMQ hop, the client's decode and dispatch)
 * and, on every 8th tick, the cost of decodeTick itself (re-encoded with TickEncoder, timed here).
 * The orchestrator gives the measuring window in CLOCK_MONOTONIC ns over the IPC channel.
 */
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import type { Tick } from '@mdhub/protocol';
import { TickEncoder, decodeTick, stateKey } from '@mdhub/protocol';
import { connect } from '@mdhub/client';
import type { BurstStat, ClockReport, ProgressMsg, ReadyMsg, SubResult, ToSub } from './common.js';
import { encodeHist, epochMinusMonoUs, monoNs, newHist, realtimeMinusMonoUs, recordUs } from './common.js';

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    endpoint: { type: 'string' }, keys: { type: 'string' }, pattern: { type: 'string', multiple: true }, storm: { type: 'boolean' },
    /** Say ready this many ms after connecting instead of at the first heartbeat (a raw publisher sends none). */
    'ready-after': { type: 'string' },
    /** The client's `batch` option: `auto` (the batch stream for wide patterns when the hub serves it) or `off`. */
    batch: { type: 'string', default: 'auto' },
  },
});
const endpoint = values.endpoint!;
const patterns = values.pattern && values.pattern.length > 0 ? values.pattern : ['*'];
const storm = values.storm === true;
process.on('disconnect', () => process.exit(0));

const clockReport = (): ClockReport => ({ offsetUs: epochMinusMonoUs(), realtimeOffsetUs: realtimeMinusMonoUs(), pid: process.pid });

/** A worker thread reports its own offset: a thread's performance.timeOrigin is its own start. */
function workerClock(): Promise<ClockReport | null> {
  const src = `
    const { parentPort } = require('node:worker_threads');
    const v = [];
    for (let i = 0; i < 9; i++) v.push((performance.timeOrigin + performance.now()) * 1000 - Number(process.hrtime.bigint()) / 1000);
    v.sort((a, b) => a - b);
    parentPort.postMessage(v[4]);`;
  return new Promise((resolve) => {
    const w = new Worker(src, { eval: true });
    w.once('message', (offsetUs: number) => {
      resolve({ offsetUs, realtimeOffsetUs: Number.NaN, pid: process.pid });
      void w.terminate();
    });
    w.once('error', () => resolve(null));
  });
}

const OFFSET = epochMinusMonoUs();
const e2e = newHist();
const link = newHist();
const hub = newHist();
const pub2sub = newHist();
const decode = newHist();
const enc = new TickEncoder();
let received = 0;
let inWindow = 0;
let negative = 0;
let gaps = 0;
let minLinkUs = Infinity;
let fromNs = Infinity;
let toNs = -Infinity;
let collectFrom = Infinity;
let collectTo = -Infinity;
let maxLocaltime = 0;
let recentMaxE2eUs = 0;
let recentReceived = 0;
let keys = new Float64Array(1 << 20);
let nKeys = 0;
const perSecond: SubResult['perSecond'] = [];
const bursts = new Map<number, BurstStat>();

function onTick(t: Tick): void {
  const ns = monoNs();
  const now = ns / 1000 + OFFSET;
  received++;
  if (t.localtime > maxLocaltime) maxLocaltime = t.localtime;
  if (ns >= collectFrom && ns <= collectTo) {
    if (nKeys === keys.length) {
      const k = new Float64Array(keys.length * 2);
      k.set(keys);
      keys = k;
    }
    keys[nKeys++] = stateKey(t);
  }
  const lat = now - t.gw_recv_ts;
  recentReceived++;
  if (lat > recentMaxE2eUs) recentMaxE2eUs = lat;
  if (storm) {
    let b = bursts.get(t.datetime);
    if (!b) {
      b = { datetime: t.datetime, count: 0, firstRecvNs: ns, lastRecvNs: ns, minGw: t.gw_recv_ts, minHubRecv: t.hub_recv_ts, maxHubPub: t.hub_pub_ts, maxE2eUs: lat };
      bursts.set(t.datetime, b);
    }
    b.count++;
    b.lastRecvNs = ns;
    if (t.gw_recv_ts < b.minGw) b.minGw = t.gw_recv_ts;
    if (t.hub_recv_ts < b.minHubRecv) b.minHubRecv = t.hub_recv_ts;
    if (t.hub_pub_ts > b.maxHubPub) b.maxHubPub = t.hub_pub_ts;
    if (lat > b.maxE2eUs) b.maxE2eUs = lat;
  }
  if (ns < fromNs || ns > toNs) return;
  inWindow++;
  if (lat < 0) negative++;
  recordUs(e2e, lat);
  const l = t.hub_recv_ts - t.gw_recv_ts;
  if (l < minLinkUs) minLinkUs = l;
  recordUs(link, l);
  recordUs(hub, t.hub_pub_ts - t.hub_recv_ts);
  recordUs(pub2sub, now - t.hub_pub_ts);
  const sec = Math.floor((ns - fromNs) / 1e9);
  let ps = perSecond[sec];
  if (!ps) {
    for (let i = perSecond.length; i <= sec; i++) perSecond[i] = { n: 0, e2eMean: 0, e2eMax: 0, linkMean: 0 };
    ps = perSecond[sec]!;
  }
  ps.n++;
  ps.e2eMean += lat;
  ps.linkMean += l;
  if (lat > ps.e2eMax) ps.e2eMax = lat;
  if ((inWindow & 7) === 0) {
    const buf = enc.encode(t);
    const d0 = monoNs();
    decodeTick(buf);
    decode.recordValue(Math.max(1, Math.round(monoNs() - d0))); // ns
  }
}

const client = connect({ endpoint, receiveHighWaterMark: 1_000_000, batch: values.batch === 'off' ? 'off' : 'auto' });
client.on('gap', () => { gaps++; });
const sub = client.subscribe(patterns, onTick);

let readySent = false;
const ready = (): void => {
  if (readySent) return;
  readySent = true;
  process.send?.({ t: 'ready', clock: clockReport() } satisfies ReadyMsg);
};
if (values['ready-after']) setTimeout(ready, Number(values['ready-after']));
else client.on('heartbeat', ready);

process.on('message', (m: ToSub) => {
  if (m.t === 'window') {
    fromNs = m.fromNs;
    toNs = m.toNs;
    collectFrom = m.collectFromNs;
    collectTo = m.collectToNs;
  } else if (m.t === 'progress') {
    process.send?.({ t: 'progress', maxLocaltime, received, recentMaxE2eUs, recentReceived } satisfies ProgressMsg);
    recentMaxE2eUs = 0;
    recentReceived = 0;
  } else if (m.t === 'finish') {
    void (async () => {
      fs.writeFileSync(values.keys!, Buffer.from(keys.buffer, 0, nKeys * 8));
      for (const p of perSecond) {
        if (p.n > 0) {
          p.e2eMean /= p.n;
          p.linkMean /= p.n;
        }
      }
      const result: SubResult = {
        t: 'sub-result', e2e: encodeHist(e2e), link: encodeHist(link), hub: encodeHist(hub), pub2sub: encodeHist(pub2sub),
        decode: encodeHist(decode), received, inWindow, negative, gaps, dropped: sub.dropped, perSecond,
        keysFile: values.keys!, keys: nKeys, bursts: [...bursts.values()], minLinkUs: Number.isFinite(minLinkUs) ? minLinkUs : 0,
        clock: clockReport(), workerClock: await workerClock(),
      };
      process.send?.(result, () => {
        void client.close().finally(() => process.exit(0));
      });
    })();
  }
});
