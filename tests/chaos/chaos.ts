/**
 * The chaos harness: `npm run chaos -- --faults N --seed S [--check] [--interval-ms MS]`.
 *
 * Runs a hub (the CLI, as an operator does) with four simulated sources over the ground-truth tape in two
 * groups, a `race` group (SHFE, DCE, INE, GFEX and the ETF options) and a `priority` group (CZCE, CFFEX),
 * plus a CTP gateway on the ABI simulator library whose front is reached through a loopback TCP proxy
 * (its network path; in the race group), subscribes to every tick and status event, and injects N random
 * faults: SIGKILL, a SIGSTOP freeze, a hang (busy loop), a connected-but-silent stall, a front
 * disconnect, a slow source, a bad-tick flood, a connection cut at the proxy, two overlapping faults, and
 * every simulated source down then back. Faults go to sources that are healthy, so that at
 * least two stay healthy (except "all down"). Then it compares what subscribers received with the tape
 * and prints progress on stderr and, as its last line, one JSON object (docs/health.md explains each
 * figure). With --check it exits 1 unless failover and restart success are 100 %, no state was lost
 * while a healthy source existed, and nothing was duplicated or out of order.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import * as zmq from 'zeromq';
import { decodeEvent, decodeTick, stateKey } from '@mdhub/protocol';
import type { Exchange } from '@mdhub/protocol';
import { TradingCalendar, controlRequest, listProducts, loadMarketData, openService } from '@mdhub/core';
import type { ReadyInfo } from '@mdhub/core';
import { Tape, buildUniverse } from '@mdhub/gateway-sim';
import { SimFront, frontUniverse, simLibrary, simLibraryMissing, writeSimSettings } from '@mdhub/vendor-sim';
import net from 'node:net';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = path.join(ROOT, 'packages/core/dist/cli.js');
const MARKET_SEED = 20260101;
const SIM_ANCHOR = '2026-11-25T09:35:00+08:00';
const SOURCES = ['sim-a', 'sim-b', 'sim-c', 'sim-d'] as const;
const RACE_EXCHANGES = new Set<string>(['SHFE', 'DCE', 'INE', 'GFEX', 'SSE', 'SZSE']);
const PRIO_EXCHANGES = new Set<string>(['CZCE', 'CFFEX']);
/** The detection bound of the failover formula (docs/health.md), ms. */
const DETECTION_BOUND_MS = 1000;

const { values } = parseArgs({
  options: {
    faults: { type: 'string', default: '20' },
    seed: { type: 'string', default: '1' },
    check: { type: 'boolean', default: false },
    'interval-ms': { type: 'string', default: '3500' },
    'no-ctp': { type: 'boolean', default: false },
    /** Writes every status event the run saw (JSON lines) for a closer look. */
    events: { type: 'string' },
  },
});
const FAULTS = Number(values.faults);
const SEED = Number(values.seed);
const INTERVAL = Number(values['interval-ms']);
if (!Number.isInteger(FAULTS) || FAULTS < 1 || !Number.isFinite(SEED) || !(INTERVAL >= 500)) {
  process.stderr.write('usage: npm run chaos -- --faults N --seed S [--check] [--interval-ms MS (≥ 500)]\n');
  process.exit(2);
}

const log = (msg: string): void => void process.stderr.write(`[chaos ${new Date().toISOString().slice(11, 23)}] ${msg}\n`);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** mulberry32: a small seeded generator (the fault schedule is reproducible from --seed). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = rng(SEED);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
const between = (lo: number, hi: number): number => Math.round(lo + rand() * (hi - lo));

type Status = Record<string, unknown> & { kind: string; ts: number };
type Kind = 'sigkill' | 'sigstop' | 'hang' | 'stall' | 'disconnect' | 'slow' | 'flood' | 'cut' | 'overlap' | 'all_down';
const KINDS: readonly Kind[] = ['sigkill', 'sigstop', 'hang', 'stall', 'disconnect', 'slow', 'flood', 'cut', 'overlap', 'all_down'];
/** Kinds that take a source out of the race (detection is measured for these). */
const DETECTED: ReadonlySet<string> = new Set(['sigkill', 'sigstop', 'hang', 'stall', 'disconnect', 'cut', 'all_down']);
/** What each kind of source can be given: the CTP source has a process and a network path, no simulator commands. */
const CTP_KINDS: ReadonlySet<string> = new Set(['sigkill', 'sigstop', 'cut']);
const CTP = 'ctp-a';

/**
 * A loopback TCP proxy on a source's network path: `cut(ms)` drops every connection and refuses new
 * ones for ms (the line goes down), then lets them through again.
 */
class CutProxy {
  private server: net.Server | null = null;
  private readonly pairs = new Set<[net.Socket, net.Socket]>();
  private downUntil = 0;
  port = 0;
  async start(targetPort: number): Promise<void> {
    const server = net.createServer((client) => {
      if (Date.now() < this.downUntil) { client.destroy(); return; }
      const up = net.connect(targetPort, '127.0.0.1');
      const pair: [net.Socket, net.Socket] = [client, up];
      this.pairs.add(pair);
      const end = (): void => { client.destroy(); up.destroy(); this.pairs.delete(pair); };
      client.on('error', end).on('close', end);
      up.on('error', end).on('close', end);
      client.pipe(up);
      up.pipe(client);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    this.server = server;
    this.port = (server.address() as net.AddressInfo).port;
  }
  cut(ms: number): void {
    this.downUntil = Date.now() + ms;
    for (const [a, b] of this.pairs) { a.destroy(); b.destroy(); }
    this.pairs.clear();
  }
  close(): void {
    this.cut(0);
    this.server?.close();
  }
}

interface Fault {
  n: number;
  kind: Kind;
  /** The basic fault each target got (an overlap is two). */
  parts: Array<{ kind: Exclude<Kind, 'overlap' | 'all_down'>; target: string }>;
  at: number;
  atMarket: number;
  /** Sources feeding just before (a healthy alternative existed when one stays). */
  feedingBefore: string[];
  prioFeeder: string | null;
  endsAt?: number;
}

async function main(): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mdhub-chaos-'));
  // The CTP source: a simulated front (the same market), reached through a proxy that can cut the line.
  const missing = values['no-ctp'] ? '--no-ctp' : simLibraryMissing();
  const withCtp = missing === null;
  if (!withCtp) log(`no CTP source (network faults left out): ${missing}`);
  const front = withCtp ? await SimFront.start({ flavour: 'ctp-6.7.7', market: { seed: MARKET_SEED, instruments: 300 }, exchanges: ['SHFE', 'INE', 'DCE', 'CZCE', 'CFFEX', 'GFEX'] }) : null;
  const proxy = withCtp ? new CutProxy() : null;
  if (front && proxy) await proxy.start(Number(front.address.split(':').pop()));
  const ctpFlow = path.join(dataDir, 'ctp-flow');
  const ctpReference = path.join(dataDir, 'futures.csv');
  const ALL: string[] = [...SOURCES, ...(withCtp ? [CTP] : [])];
  const h = await openService({ dataDir, env: {}, schema: 'check', createKey: true });
  const actor = { name: 'chaos' };
  try {
    await h.service.addGroup(actor, { name: 'prio', policy: 'priority', instruments: ['*.CZCE', '*.CFFEX'], canaries: ['SR.CZCE', 'IF.CFFEX'] });
    await h.service.addGroup(actor, { name: 'race', policy: 'race', instruments: ['all'], canaries: ['rb.SHFE', 'm.DCE'] });
    for (const [i, id] of SOURCES.entries()) {
      await h.service.addGateway(actor, {
        id, plugin: '@mdhub/gateway-sim', group: 'prio', priority: i + 1,
        config: { market: { seed: MARKET_SEED, instruments: 300 }, latency: { medianMs: 2 + 2 * i, sigma: 0.5 } },
      });
    }
    if (withCtp) {
      writeSimSettings(`${ctpFlow}/`, { retryMs: 200, reconnectMs: 100 });
      const { served } = frontUniverse(front!.opts, Date.parse(SIM_ANCHOR));
      fs.writeFileSync(ctpReference, `symbol,exchange,name,expiry\n${served.map((i) => `${i.symbol},${i.exchange},"${i.name}",20${i.month}28`).join('\n')}\n`);
      await h.service.addAccount(actor, { id: 'acct-ctp', kind: 'ctp', broker_id: '9999', user_id: 'u1', fronts: [`tcp://127.0.0.1:${proxy!.port}`], password: 'pw-1' });
      await h.service.addGateway(actor, {
        id: CTP, plugin: '@mdhub/gateway-ctp', account: 'acct-ctp',
        config: { library: simLibrary('ctp-6.7.7'), flavour: 'ctp-6.7.7', reference_file: ctpReference, flow_dir: ctpFlow, simulated: true },
      });
    }
  } finally {
    await h.close();
  }

  const hub = spawn(process.execPath, [CLI, 'start', '--data-dir', dataDir, '--pub', 'tcp://127.0.0.1:*', '--snapshot', 'tcp://127.0.0.1:*', '--http', '127.0.0.1:0', '--hub-id', `chaos${process.pid}`, '--sim-anchor', SIM_ANCHOR], { stdio: ['ignore', 'pipe', 'pipe'] });
  let hubOut = '';
  hub.stdout!.on('data', (d: Buffer) => { hubOut = (hubOut + d.toString()).slice(-200_000); });
  hub.stderr!.on('data', (d: Buffer) => { hubOut = (hubOut + d.toString()).slice(-200_000); });
  const stoppedPids = new Set<number>();
  const cleanup = (): void => {
    for (const p of stoppedPids) try { process.kill(p, 'SIGCONT'); } catch { /* gone */ }
    try { hub.kill('SIGKILL'); } catch { /* gone */ }
    proxy?.close();
  };
  process.on('exit', cleanup);

  const ready = await waitFor('the hub', () => {
    if (hub.exitCode !== null) throw new Error(`the hub exited:\n${hubOut}`);
    try {
      const r = JSON.parse(fs.readFileSync(path.join(dataDir, 'ready.json'), 'utf8')) as ReadyInfo;
      return r.pid === hub.pid ? r : null;
    } catch {
      return null;
    }
  }, 30_000);
  front?.serve(ready.clock);
  const clock = ready.clock as { anchorMs: number; monoRefNs: number; rate: number };
  const marketNow = (): number => clock.anchorMs + ((Number(process.hrtime.bigint()) - clock.monoRefNs) / 1e6) * clock.rate;

  // Everything subscribers get: every tick (checked as it arrives) and every status event.
  const sub = new zmq.Subscriber({ linger: 0, receiveHighWaterMark: 0 });
  sub.connect(ready.pub);
  sub.subscribe('tick.');
  sub.subscribe('status');
  const statuses: Status[] = [];
  const keys = new Set<number>();
  /** Each published state's exchange datetime (for "published, but not on the tape" in the window). */
  const keyTimes = new Map<number, number>();
  let received = 0;
  let duplicates = 0;
  let outOfOrder = 0;
  const last = new Map<string, { iseq: number; datetime: number }>();
  /** Per group, publish times (hub wall ms) and sources of ticks, for the failover measure. */
  const pubs: Record<'race' | 'prio', Array<[number, string]>> = { race: [], prio: [] };
  let firstLocal = Infinity;
  let lastLocal = -Infinity;
  const reading = (async () => {
    for await (const [topic, payload] of sub) {
      if (topic!.toString() === 'status') {
        statuses.push(decodeEvent<Status>(payload!));
        continue;
      }
      const t = decodeTick(payload!);
      received++;
      const k = stateKey(t);
      if (keys.has(k)) duplicates++;
      keys.add(k);
      keyTimes.set(k, t.datetime);
      const vt = `${t.symbol}.${t.exchange}`;
      const p = last.get(vt);
      if (p && (t.iseq !== p.iseq + 1 || t.datetime < p.datetime)) outOfOrder++;
      last.set(vt, { iseq: t.iseq, datetime: t.datetime });
      pubs[PRIO_EXCHANGES.has(t.exchange) ? 'prio' : 'race'].push([Math.round(t.hub_pub_ts / 1000), t.source]);
      firstLocal = Math.min(firstLocal, t.localtime);
      lastLocal = Math.max(lastLocal, t.localtime);
    }
  })().catch(() => {});

  // Health as the status topic tells it.
  const health = new Map<string, { health: string; feeding: boolean }>();
  let seenStatus = 0;
  const refresh = (): void => {
    for (; seenStatus < statuses.length; seenStatus++) {
      const s = statuses[seenStatus]!;
      if (s.kind === 'source_health') health.set(String(s['source']), { health: String(s['health']), feeding: s['feeding'] === true });
    }
  };
  const ok = (): string[] => { refresh(); return ALL.filter((s) => health.get(s)?.health === 'ok'); };
  const okSims = (): string[] => ok().filter((s) => s !== CTP);
  const prioFeeder = (): string | null => {
    const f = statuses.filter((s) => s.kind === 'failover' && s['group'] === 'prio').at(-1);
    return f ? (f['to'] as string | null) : null;
  };

  await waitFor(`${ALL.length} sources ok`, () => ok().length === ALL.length, 30_000);
  await waitFor('canaries resolved', () => statuses.filter((s) => s.kind === 'canary_resolved').length >= 4, 15_000);
  await sleep(3000);
  const startedAt = Date.now();
  const startMarket = marketNow();
  log(`hub ${ready.pid} ready, ${ALL.length} sources ok; injecting ${FAULTS} faults (seed ${SEED})`);

  const pidOf = async (id: string): Promise<number | null> => {
    const st = await controlRequest(ready.control, 'status') as { health: { sources: Array<{ id: string; pid: number | null }> } };
    return st.health.sources.find((s) => s.id === id)?.pid ?? null;
  };
  const control = (id: string, cmd: { op: string; [k: string]: unknown }): Promise<unknown> => controlRequest(ready.control, 'gateway.control', { id, cmd }, 5000);

  const faults: Fault[] = [];
  const basic = async (kind: Fault['parts'][number]['kind'], target: string): Promise<void> => {
    switch (kind) {
      case 'sigkill': {
        const pid = await pidOf(target);
        if (pid) process.kill(pid, 'SIGKILL');
        break;
      }
      case 'sigstop': {
        const pid = await pidOf(target);
        if (!pid) break;
        process.kill(pid, 'SIGSTOP');
        stoppedPids.add(pid);
        const ms = between(2000, 10_000);
        setTimeout(() => { try { process.kill(pid, 'SIGCONT'); } catch { /* killed meanwhile */ } stoppedPids.delete(pid); }, ms).unref();
        break;
      }
      case 'hang':
        await control(target, { op: 'hang' });
        break;
      case 'stall':
        await control(target, { op: 'stall', ms: between(3000, 15_000) });
        break;
      case 'disconnect':
        await control(target, { op: 'disconnect', ms: between(1000, 8000) });
        break;
      case 'slow':
        await control(target, { op: 'slow', ms: between(2000, 6000), delayMs: between(200, 900) });
        break;
      case 'flood':
        await control(target, { op: 'flood', ms: between(2000, 5000), rate: 0.3 + rand() * 0.6 });
        break;
      case 'cut':
        proxy!.cut(between(1000, 8000));
        break;
    }
  };

  for (let n = 1; n <= FAULTS; n++) {
    // Wait until enough sources are healthy for this fault (at most 60 s: a source that never recovers is counted below).
    let kind = pick(withCtp ? KINDS : KINDS.filter((k) => k !== 'cut'));
    const need = kind === 'all_down' || kind === 'overlap' ? 4 : kind === 'cut' ? 3 : 3;
    try {
      await waitFor(`${need} sources ok`, () => (kind === 'cut' ? ok().includes(CTP) && ok().length >= need : okSims().length >= need), 60_000, 100);
    } catch {
      kind = pick(['slow', 'flood'] as const);
    }
    const healthy = okSims();
    if (healthy.length < 3 && kind !== 'slow' && kind !== 'flood' && kind !== 'cut') kind = 'flood';
    const f: Fault = { n, kind, parts: [], at: 0, atMarket: 0, feedingBefore: ALL.filter((s) => health.get(s)?.feeding), prioFeeder: prioFeeder() };
    const choices = [...healthy];
    const take = (): string => choices.splice(Math.floor(rand() * choices.length), 1)[0]!;
    if (kind === 'overlap') {
      const kinds = ['sigkill', 'sigstop', 'hang', 'stall', 'disconnect'] as const;
      f.parts.push({ kind: pick(kinds), target: take() }, { kind: pick(kinds), target: take() });
    } else if (kind === 'all_down') {
      for (const s of SOURCES) f.parts.push({ kind: 'disconnect', target: s });
    } else if (kind === 'cut') {
      f.parts.push({ kind: 'cut', target: CTP });
    } else if (withCtp && CTP_KINDS.has(kind) && ok().includes(CTP) && rand() < 0.25) {
      f.parts.push({ kind, target: CTP }); // the CTP gateway's process gets its share of kills and freezes
    } else {
      // The priority group's feeder is the likeliest victim half the time (its takeover is what we measure).
      const feeder = f.prioFeeder && healthy.includes(f.prioFeeder) && rand() < 0.5 ? f.prioFeeder : take();
      f.parts.push({ kind, target: feeder });
    }
    f.at = Date.now();
    f.atMarket = marketNow();
    if (kind === 'all_down') {
      await Promise.all(SOURCES.map((s) => control(s, { op: 'disconnect', ms: 4000 })));
      f.endsAt = f.at + 4000;
    } else {
      for (const p of f.parts) await basic(p.kind, p.target);
    }
    faults.push(f);
    log(`fault ${n}/${FAULTS}: ${kind} → ${f.parts.map((p) => `${p.kind}:${p.target}`).join(', ')}`);
    await sleep(INTERVAL);
  }

  log('all faults injected; waiting for every source to be ok');
  try {
    await waitFor('every source ok', () => ok().length === ALL.length, 90_000, 200);
  } catch {
    log(`not every source recovered: ${JSON.stringify(Object.fromEntries(health))}`);
  }
  await sleep(3000);
  const endedAt = Date.now();
  const endMarket = marketNow();
  sub.close();
  await reading;
  for (const p of stoppedPids) try { process.kill(p, 'SIGCONT'); } catch { /* gone */ }
  hub.kill('SIGTERM');
  await new Promise<void>((r) => { if (hub.exitCode !== null) r(); else hub.once('exit', () => r()); setTimeout(r, 10_000).unref(); });
  proxy?.close();
  await front?.close();
  refresh();

  // ---- the figures ----
  const ofKind = (kind: string, source?: string): Status[] => statuses.filter((s) => s.kind === kind && (source === undefined || s['source'] === source));

  // Detection: the first "not feeding" health of the target after the injection.
  const detection: Record<string, number[]> = {};
  let undetected = 0;
  for (const f of faults) {
    for (const p of f.parts) {
      if (!DETECTED.has(p.kind)) continue;
      const ev = ofKind('source_health', p.target).find((s) => s.ts >= f.at && s['feeding'] === false);
      const key = f.kind === 'all_down' ? 'all_down' : p.kind;
      if (!ev || ev.ts - f.at > 10_000) { undetected++; continue; }
      (detection[key] ??= []).push(ev.ts - f.at);
    }
  }
  const pct = (xs: number[], q: number): number => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]!; };
  const detectionMs = Object.fromEntries(Object.entries(detection).map(([k, xs]) => [k, { n: xs.length, p50: pct(xs, 0.5), p99: pct(xs, 0.99), max: Math.max(...xs) }]));

  // Failover: after each fault where a healthy alternative existed, the group was fed by another source within the bound.
  let failoverDenominator = 0;
  let failoverOk = 0;
  const takeoverGaps: number[] = [];
  for (const f of faults) {
    if (f.kind === 'all_down') continue;
    const hit = new Set(f.parts.map((p) => p.target));
    const alternatives = f.feedingBefore.filter((s) => !hit.has(s));
    if (alternatives.length === 0) continue;
    // A fault that takes its source out (a kill, a freeze, a cut …) must see another source feed the group;
    // one that does not (a bad-tick flood, a source slower than the canary lag) may go on feeding itself.
    const takesOut = f.parts.some((p) => DETECTED.has(p.kind));
    for (const g of ['race', 'prio'] as const) {
      failoverDenominator++;
      const next = pubs[g].find(([ts, src]) => ts >= f.at && (!takesOut || !hit.has(src)));
      if (next && next[0] - f.at <= DETECTION_BOUND_MS) failoverOk++;
      else log(`failover not within ${DETECTION_BOUND_MS} ms: fault ${f.n} (${f.kind}) group ${g}: ${next ? `${next[0] - f.at} ms` : 'never'}`);
      if (g === 'prio' && takesOut && f.prioFeeder && f.parts.some((p) => p.target === f.prioFeeder && DETECTED.has(p.kind))) {
        const fo = ofKind('failover').find((s) => s['group'] === 'prio' && s['from'] === f.prioFeeder && s.ts >= f.at);
        if (fo) takeoverGaps.push(fo.ts - f.at);
      }
    }
  }

  // Restarts: each process exit that was restarted, and whether the source reached ok within 60 s.
  const exits = ofKind('source_exit').filter((s) => s['restart_in_ms'] !== null && s['restart_in_ms'] !== undefined);
  let restartOk = 0;
  for (const e of exits) {
    if (ofKind('source_health', String(e['source'])).some((s) => s.ts > e.ts && s.ts - e.ts <= 60_000 && s['health'] === 'ok')) restartOk++;
    else log(`restart of ${String(e['source'])} at ${new Date(e.ts).toISOString()} did not reach ok within 60 s`);
  }
  const breakerOpened = ofKind('breaker_open').length;

  // Time with no feeding source, per group (race: every source; priority: the four simulated ones), from
  // the health events; and the part of it outside the injected "every simulated source down" outages.
  const downWindows = faults.filter((f) => f.kind === 'all_down').map((f) => [f.at, f.endsAt! + 1000] as const);
  const clip = (a: number, b: number): number => {
    let ms = b - a;
    for (const [x, y] of downWindows) ms -= Math.max(0, Math.min(b, y) - Math.max(a, x));
    return Math.max(0, ms);
  };
  const withoutFeeding = (members: readonly string[]): { ms: number; avoidable: number } => {
    const feed = new Map<string, boolean>();
    let ms = 0;
    let avoidable = 0;
    let from: number | null = null;
    for (const st of statuses) {
      if (st.kind !== 'source_health' || !members.includes(String(st['source']))) continue;
      feed.set(String(st['source']), st['feeding'] === true);
      if (st.ts < startedAt) continue;
      const none = ![...feed.values()].some(Boolean);
      if (none && from === null) from = st.ts;
      if (!none && from !== null) { ms += st.ts - from; avoidable += clip(from, st.ts); from = null; }
    }
    if (from !== null) { ms += endedAt - from; avoidable += clip(from, endedAt); }
    return { ms, avoidable };
  };
  const perGroup = { race: withoutFeeding(ALL), prio: withoutFeeding(SOURCES) };
  const withoutMs = Math.max(perGroup.race.ms, perGroup.prio.ms);
  const avoidableMs = Math.max(perGroup.race.avoidable, perGroup.prio.avoidable);

  // Ground truth: the tape in the window the subscription surely covered.
  const calendar = new TradingCalendar(loadMarketData());
  const universe = buildUniverse({ seed: MARKET_SEED, tradingDay: calendar.tradingDayAt('commodity_day', ready.clock.anchorMs)!, products: listProducts(), instruments: 300 });
  const tape = new Tape(universe, { seed: MARKET_SEED, calendar, startMs: ready.clock.anchorMs });
  const from = Math.max(firstLocal, startMarket) + 1000;
  const to = Math.min(lastLocal, endMarket) - 2000;
  const expected = tape.advance(to).filter((s) => s.emitMs >= from);
  // Windows where no healthy source existed (every source down): losses there are not failover's.
  const allDown = faults.filter((f) => f.kind === 'all_down').map((f) => [f.atMarket - 200, f.atMarket + 4000 + 3000] as const);
  const replaced = ofKind('states_replaced');
  let statesLost = 0;
  let prioLost = 0;
  let prioUnannounced = 0;
  const lostExamples: string[] = [];
  for (const s of expected) {
    if (keys.has(stateKey(s.tick))) continue;
    if (allDown.some(([a, b]) => s.emitMs >= a && s.emitMs <= b)) continue;
    const vt = `${s.tick.symbol}.${s.tick.exchange}`;
    if (RACE_EXCHANGES.has(s.tick.exchange as Exchange)) {
      statesLost++;
      if (lostExamples.length < 5) lostExamples.push(`${vt}@${new Date(s.emitMs).toISOString().slice(11, 23)}`);
    } else {
      prioLost++;
      // A takeover's replaced states are announced: a loss in the priority group must be named in a states_replaced event.
      if (!replaced.some((r) => (r['instruments'] as string[]).includes(vt))) prioUnannounced++;
    }
  }
  // Corrupted copies that got through cleansing and were published (the bad-tick floods): states not on the tape.
  const tapeKeys = new Set(expected.map((s) => stateKey(s.tick)));
  let badPublished = 0;
  for (const [k, dt] of keyTimes) if (dt >= from + 1000 && dt <= to - 1000 && !tapeKeys.has(k)) badPublished++;
  if (lostExamples.length > 0) log(`lost in race groups, e.g. ${lostExamples.join(', ')}`);

  const durationMs = endedAt - startedAt;
  const result = {
    faults_injected: faults.length,
    seed: SEED,
    by_kind: Object.fromEntries(KINDS.map((k) => [k, faults.filter((f) => f.kind === k).length])),
    failover_success_rate: failoverDenominator === 0 ? 1 : failoverOk / failoverDenominator,
    failover_checks: failoverDenominator,
    restart_success_rate: exits.length === 0 ? 1 : restartOk / exits.length,
    restarts: exits.length,
    restarts_by_source: Object.fromEntries(ALL.map((id) => [id, exits.filter((e) => e['source'] === id).length])),
    hard_restarts_by_fault: Object.fromEntries([...new Set(ofKind('source_restart').map((e) => String(e['fault'])))].map((k) => [k, ofKind('source_restart').filter((e) => e['fault'] === k).length])),
    breaker_opened: breakerOpened,
    states_lost: statesLost,
    prio_states_lost: prioLost,
    prio_states_lost_unannounced: prioUnannounced,
    takeover_gap_ms: takeoverGaps.length ? { n: takeoverGaps.length, p50: pct(takeoverGaps, 0.5), p99: pct(takeoverGaps, 0.99), max: Math.max(...takeoverGaps) } : null,
    duplicates,
    out_of_order: outOfOrder,
    /** Corrupted copies of the floods that cleansing let through (a price jump on a one-tick option looks real); cleansing's measure, not failover's. */
    bad_published: badPublished,
    ticks_received: received,
    tape_states_checked: expected.length,
    detection_ms: detectionMs,
    undetected,
    /** The worse group's; per group in `groups`. */
    time_without_healthy_source_ms: Math.round(withoutMs),
    groups: { race: { sources: ALL.length, without_ms: Math.round(perGroup.race.ms) }, prio: { sources: SOURCES.length, without_ms: Math.round(perGroup.prio.ms) } },
    availability: durationMs > 0 ? 1 - withoutMs / durationMs : 1,
    /** Excluding the injected "every source down" outages: time without a feeding source although one could have fed. */
    time_without_healthy_source_avoidable_ms: Math.round(avoidableMs),
    availability_excluding_all_down: durationMs > 0 ? 1 - avoidableMs / durationMs : 1,
    run_s: Math.round(durationMs / 1000),
    sources: ALL,
    network_faults: withCtp ? 'a CTP gateway on the ABI simulator library behind a loopback TCP proxy' : `none: ${missing}`,
  };
  if (values.events) fs.writeFileSync(values.events, statuses.map((x) => JSON.stringify(x)).join('\n') + '\n');
  fs.rmSync(dataDir, { recursive: true, force: true });
  process.stdout.write(`${JSON.stringify(result)}\n`);
  if (values.check) {
    const bad: string[] = [];
    if (result.failover_success_rate < 1) bad.push('failover_success_rate < 1');
    if (result.restart_success_rate < 1) bad.push('restart_success_rate < 1');
    if (result.states_lost > 0) bad.push('states_lost > 0');
    if (result.prio_states_lost_unannounced > 0) bad.push('priority-group losses not announced in states_replaced');
    if (result.duplicates > 0) bad.push('duplicates > 0');
    if (result.out_of_order > 0) bad.push('out_of_order > 0');
    if (result.undetected > 0) bad.push('faults not detected');
    if (result.time_without_healthy_source_avoidable_ms > 0) bad.push('time without a feeding source outside "all down" faults');
    if (bad.length > 0) {
      log(`check failed: ${bad.join('; ')}`);
      process.exitCode = 1;
    }
  }
}

async function waitFor<T>(what: string, fn: () => T | null | undefined | false, timeoutMs: number, everyMs = 50): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

main().catch((err: unknown) => {
  log(`failed: ${(err as Error)?.stack ?? String(err)}`);
  process.exitCode = 1;
});
