/**
 * Worker-thread entry of the data plane. The control plane (main thread: database, HTTP, supervisor,
 * alerts) talks to it with messages only, so a slow query or a slow browser never stalls ticks.
 * Never terminate() this worker while it holds sockets: send {t:'close'} and let it exit.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { Exchange, HubState, LogRecord, StatusEvent } from '@mdhub/protocol';
import { EXCHANGES } from '@mdhub/protocol';
import { TradingCalendar, clockFromParams, marketCalendar, productOfSymbol, useMarketCalendar } from '../market/index.js';
import { defaultCleansingMarket } from '../cleansing/market.js';
import { PluginScopes } from '../plugin/scope.js';
import type { ClockParams, MarketData } from '../market/types.js';
import type { InstrumentRef } from '../plugin/manifest.js';
import type { GroupConfig } from './arbiter.js';
import { BindError, DataPlane } from './dataplane.js';
import { buildCheck, type BuiltCheck, type CleansingSettings } from './cleansing-hook.js';
import type { CanaryGroup, WatchReport } from './watch.js';

export interface WorkerInit {
  hubId: string;
  runId: string;
  clock: ClockParams;
  pubEndpoint: string;
  snapshotEndpoint: string;
  linkTransport: 'ipc' | 'tcp';
  groups: GroupConfig[];
  sendHighWaterMark: number;
  cleansing: CleansingSettings;
  /** When the hub run started, epoch ms (the heartbeat's started_at). */
  startedAt?: number;
  /** Canary products per group, and the lag behind a canary at which the watch reports at once. */
  canaries?: CanaryGroup[];
  watch?: { lagMs: number; watchMs?: number; reportMs?: number };
  /** The hub's calendar in force when it has imported years (docs/operations.md#calendar-updates); else the shipped one. */
  calendar?: MarketData;
}

export type ToWorker =
  | { t: 'addGateway'; reqId: number; id: string }
  | { t: 'groups'; reqId: number; groups: GroupConfig[] }
  | { t: 'cleansing'; reqId: number; cleansing: CleansingSettings }
  | { t: 'ping'; reqId: number }
  | { t: 'fault'; op: 'exit' | 'hang' }
  | { t: 'health'; id: string; healthy: boolean }
  | { t: 'status'; ev: StatusEvent }
  | { t: 'log'; rec: LogRecord }
  | { t: 'stats'; reqId: number }
  /** Instruments matching a search (the control API). */
  | { t: 'queryInstruments'; reqId: number; search: string; limit: number }
  /** A gateway's instruments with reference data: their state is created before the first tick. */
  | { t: 'instruments'; source: string; list: InstrumentRef[] }
  /** The hub's state, for the heartbeat. */
  | { t: 'hubState'; state: HubState }
  /** Canary products per group (a configuration change). */
  | { t: 'canaries'; canaries: CanaryGroup[] }
  /** A source's process (re)started. */
  | { t: 'sourceStarted'; id: string }
  | { t: 'close'; reqId: number };

export type FromWorker =
  | { t: 'ready'; endpoints: { pub: string; snapshot: string } }
  | { t: 'failed'; error: string; setting?: 'pub' | 'snapshot' | 'cleansing'; value?: string; code?: string }
  | { t: 'reply'; reqId: number; result?: unknown; error?: string }
  | { t: 'status'; ev: StatusEvent }
  | { t: 'log'; rec: LogRecord }
  /** The sources' data health as the data plane sees it (see SourceWatch). */
  | { t: 'watch'; report: WatchReport };

const port = parentPort!;
const init = workerData as WorkerInit;
const post = (m: FromWorker): void => port.postMessage(m);

process.on('unhandledRejection', (err) => {
  post({ t: 'log', rec: { level: 'error', ts: Date.now(), msg: 'unhandled rejection in data plane', area: 'dataplane', details: { error: String(err) } } });
});

/** Reference data the gateways reported, per vt_symbol (the latest report wins; a field it lacks keeps the earlier one). */
const reference = new Map<string, InstrumentRef>();
/** Most instruments the reference map keeps (a gateway reporting garbage cannot grow it without bound). */
const MAX_REFERENCE = 200_000;

/** The fields of a reported InstrumentRef kept, each with its check (plugin output is input). */
const REF_FIELDS: Record<string, (v: unknown) => boolean> = {
  name: (v) => typeof v === 'string' && v.length <= 100,
  product: (v) => typeof v === 'string' && v.length <= 20,
  kind: (v) => v === 'future' || v === 'option',
  price_tick: (v) => typeof v === 'number' && Number.isFinite(v) && v > 0,
  multiplier: (v) => typeof v === 'number' && Number.isFinite(v) && v > 0,
  expiry: (v) => typeof v === 'string' && /^\d{8}$/.test(v),
  underlying: (v) => typeof v === 'string' && v.length <= 40,
  option_type: (v) => v === 'call' || v === 'put',
  strike: (v) => typeof v === 'number' && Number.isFinite(v) && v > 0,
};

/** Keeps the reference data of reported instruments; fields that fail their check are dropped. */
function remember(list: readonly InstrumentRef[]): void {
  for (const r of list) {
    if (typeof r?.symbol !== 'string' || typeof r.exchange !== 'string' || r.symbol.length > 80 || !(EXCHANGES as readonly string[]).includes(r.exchange)) continue;
    const vt = `${r.symbol}.${r.exchange}`;
    const prev = reference.get(vt);
    if (!prev && reference.size >= MAX_REFERENCE) continue;
    const next: Record<string, unknown> = { ...(prev ?? {}), symbol: r.symbol, exchange: r.exchange };
    for (const [k, check] of Object.entries(REF_FIELDS)) {
      const v = (r as unknown as Record<string, unknown>)[k];
      if (v !== undefined && v !== null && v !== '' && check(v)) next[k] = v;
    }
    reference.set(vt, next as unknown as InstrumentRef);
  }
}

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/**
 * Reference data of every instrument the hub knows: those the gateways reported (before their first tick)
 * and those seen on the links. Name, tick, multiplier and expiry come from the gateways' reference data,
 * else from the product table; the market fields from the last published state (null before it).
 */
function referenceData(dp: DataPlane): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  for (const st of dp.arbiter.states()) {
    const t = st.last;
    const r = reference.get(st.vt);
    if (!t && !r) continue;
    const p = productOfSymbol(st.symbol, st.exchange as Exchange, r?.underlying);
    out.push({
      vt_symbol: st.vt, symbol: st.symbol, exchange: st.exchange, name: str(r?.name) ?? t?.name ?? '',
      product: str(r?.product) ?? p?.product ?? null, kind: r?.kind ?? p?.kind ?? null,
      multiplier: num(r?.multiplier) ?? p?.multiplier ?? null, price_tick: num(r?.price_tick) ?? p?.price_tick ?? null, session: p?.session ?? null,
      expiry: str(r?.expiry) ?? null,
      ...(r?.kind === 'option' || p?.kind === 'option' ? { underlying: str(r?.underlying), option_type: r?.option_type ?? null, strike: num(r?.strike) } : {}),
      limit_up: t?.limit_up ?? null, limit_down: t?.limit_down ?? null, pre_settlement: t?.pre_settlement ?? null, trading_day: t?.trading_day ?? null,
    });
  }
  return out;
}

async function main(): Promise<void> {
  if (init.calendar) useMarketCalendar(new TradingCalendar(init.calendar));
  let check: BuiltCheck | undefined;
  let plane: DataPlane | null = null;
  // Each filter instance is created from a plugin scope of its own (what the plugin API promises, nothing else).
  const scopes = new PluginScopes({ hubId: init.hubId, runId: init.runId, clock: clockFromParams(init.clock), calendar: marketCalendar(), market: defaultCleansingMarket() });
  // Sampled rejection records go to the `log` topic and to the control plane's log.
  const build = (settings: CleansingSettings): Promise<BuiltCheck | undefined> => buildCheck(settings, (rec) => {
    plane?.publishLog(rec);
    post({ t: 'log', rec });
  }, (f) => {
    // A filter that throws is counted per call; every power of two is logged, and its disabling for a
    // source is a status event as well (the source keeps flowing, judged without that filter).
    const details = { filter: f.filter, source: f.source, call: f.call, errors: f.count, error: f.error };
    if (f.disabled) plane?.status({ kind: 'filter_disabled', ...details });
    plane?.log('error', f.disabled ? `filter ${f.filter} disabled for source ${f.source} after repeated failures` : `filter ${f.filter} threw`, { ...details, code: 'MDH_ERR_PLUGIN_FILTER_FAILED' });
  }, scopes);
  try {
    check = await build(init.cleansing);
  } catch (err) {
    post({ t: 'failed', error: String((err as Error)?.message ?? err), setting: 'cleansing', ...(typeof (err as { code?: unknown }).code === 'string' ? { code: (err as { code: string }).code } : {}) });
    return;
  }
  const dp: DataPlane = new DataPlane({
    hubId: init.hubId,
    runId: init.runId,
    clock: clockFromParams(init.clock),
    pubEndpoint: init.pubEndpoint,
    snapshotEndpoint: init.snapshotEndpoint,
    linkTransport: init.linkTransport,
    groups: init.groups,
    sendHighWaterMark: init.sendHighWaterMark,
    ...(init.startedAt !== undefined ? { startedAt: init.startedAt } : {}),
    ...(check ? { check: check.check, observe: check.observe, cleansingStats: check.stats, forgetSource: check.forgetSource, prepare: check.prepare } : {}),
    instruments: (): Array<Record<string, unknown>> => referenceData(dp),
    onStatus: (ev) => post({ t: 'status', ev }),
    onLog: (rec) => post({ t: 'log', rec }),
    ...(init.canaries ? { canaries: init.canaries } : {}),
    ...(init.watch ? { watch: init.watch, onWatch: (report: WatchReport) => post({ t: 'watch', report }) } : {}),
  });
  plane = dp;
  let endpoints;
  try {
    endpoints = await dp.start();
  } catch (err) {
    if (err instanceof BindError) post({ t: 'failed', error: err.message, setting: err.setting, value: err.value, code: err.code });
    else post({ t: 'failed', error: String(err) });
    await dp.close().catch(() => {});
    return;
  }
  port.on('message', (m: ToWorker) => {
    switch (m.t) {
      case 'addGateway':
        dp.addGateway(m.id).then(
          (endpoint) => post({ t: 'reply', reqId: m.reqId, result: endpoint }),
          (err: unknown) => post({ t: 'reply', reqId: m.reqId, error: String(err) }),
        );
        break;
      case 'health':
        dp.setHealth(m.id, m.healthy);
        break;
      case 'groups':
        try {
          dp.setGroups(m.groups);
          post({ t: 'reply', reqId: m.reqId, result: true });
        } catch (err) {
          post({ t: 'reply', reqId: m.reqId, error: String((err as Error)?.message ?? err) });
        }
        break;
      case 'cleansing':
        build(m.cleansing).then(
          (next) => {
            dp.setCleansing(next ? { check: next.check, observe: next.observe, stats: next.stats, forgetSource: next.forgetSource, prepare: next.prepare } : null);
            post({ t: 'reply', reqId: m.reqId, result: true });
          },
          (err: unknown) => post({ t: 'reply', reqId: m.reqId, error: String((err as Error)?.message ?? err) }),
        );
        break;
      case 'ping':
        post({ t: 'reply', reqId: m.reqId, result: true });
        break;
      case 'fault':
        // Fault injection for tests of the hub's reaction to a dead or silent data plane (never terminate()).
        if (m.op === 'exit') void dp.close().then(() => process.exit(3));
        else setImmediate(() => { for (;;) { /* hung */ } });
        break;
      case 'status':
        dp.publishStatus(m.ev);
        break;
      case 'log':
        dp.publishLog(m.rec);
        break;
      case 'stats':
        post({ t: 'reply', reqId: m.reqId, result: dp.stats() });
        break;
      case 'queryInstruments':
        post({ t: 'reply', reqId: m.reqId, result: dp.queryInstruments(String(m.search ?? ''), Math.max(1, Math.min(10_000, Number(m.limit) || 100))) });
        break;
      case 'hubState':
        dp.setHubState(m.state);
        break;
      case 'canaries':
        dp.setCanaries(m.canaries);
        break;
      case 'sourceStarted':
        dp.sourceStarted(m.id);
        break;
      case 'instruments': {
        // Plugin output: anything malformed is skipped and counted, never fatal. Prepared in slices of
        // 1,000 (about 5 ms each) between link messages, so a gateway reporting 20,000 instruments holds up
        // other sources' ticks for one slice at a time, never for the whole list.
        const list = Array.isArray(m.list) ? m.list : [];
        const t0 = performance.now();
        let created = 0;
        let skipped = 0;
        const slice = (from: number): void => {
          remember(list.slice(from, from + 1000));
          const r = dp.prepareInstruments(list.slice(from, from + 1000), m.source);
          created += r.created;
          skipped += r.skipped;
          if (from + 1000 < list.length) setImmediate(() => slice(from + 1000));
          else dp.log(skipped > 0 ? 'warn' : 'info', 'instruments prepared before their first tick', {
            source: m.source, reported: list.length, created, skipped, ms: Math.round((performance.now() - t0) * 10) / 10,
          });
        };
        slice(0);
        break;
      }
      case 'close':
        dp.close().then(() => {
          post({ t: 'reply', reqId: m.reqId, result: true });
          port.close();
        });
        break;
    }
  });
  post({ t: 'ready', endpoints });
}

void main();
