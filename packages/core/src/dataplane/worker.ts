/**
 * Worker-thread entry of the data plane. The control plane (main thread: database, HTTP, supervisor,
 * alerts) talks to it with messages only, so a slow query or a slow browser never stalls ticks.
 * Never terminate() this worker while it holds sockets: send {t:'close'} and let it exit.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { LogRecord, StatusEvent } from '@mdhub/protocol';
import { clockFromParams, productOfSymbol } from '../market/index.js';
import type { ClockParams } from '../market/types.js';
import type { GroupConfig } from './arbiter.js';
import { DataPlane } from './dataplane.js';
import { buildCheck, type BuiltCheck, type CleansingSettings } from './cleansing-hook.js';

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
}

export type ToWorker =
  | { t: 'addGateway'; reqId: number; id: string }
  | { t: 'health'; id: string; healthy: boolean }
  | { t: 'status'; ev: StatusEvent }
  | { t: 'log'; rec: LogRecord }
  | { t: 'stats'; reqId: number }
  | { t: 'close'; reqId: number };

export type FromWorker =
  | { t: 'ready'; endpoints: { pub: string; snapshot: string } }
  | { t: 'failed'; error: string }
  | { t: 'reply'; reqId: number; result?: unknown; error?: string }
  | { t: 'status'; ev: StatusEvent }
  | { t: 'log'; rec: LogRecord };

const port = parentPort!;
const init = workerData as WorkerInit;
const post = (m: FromWorker): void => port.postMessage(m);

process.on('unhandledRejection', (err) => {
  post({ t: 'log', rec: { level: 'error', ts: Date.now(), msg: 'unhandled rejection in data plane', area: 'dataplane', details: { error: String(err) } } });
});

/** Reference data of every instrument seen: from the product table plus the last published state. */
function referenceData(dp: DataPlane): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  for (const st of dp.arbiter.states()) {
    const t = st.last;
    if (!t) continue;
    const p = productOfSymbol(t.symbol, t.exchange);
    out.push({
      vt_symbol: st.vt, symbol: t.symbol, exchange: t.exchange, name: t.name, product: p?.product ?? null, kind: p?.kind ?? null,
      multiplier: p?.multiplier ?? null, price_tick: p?.price_tick ?? null, session: p?.session ?? null,
      limit_up: t.limit_up, limit_down: t.limit_down, pre_settlement: t.pre_settlement, trading_day: t.trading_day,
      // Expiry needs the exchanges' per-product rules or the user-supplied reference file (gateway issues).
      expiry: null,
    });
  }
  return out;
}

async function main(): Promise<void> {
  let check: BuiltCheck | undefined;
  let plane: DataPlane | null = null;
  try {
    // Sampled rejection records go to the `log` topic and to the control plane's log.
    check = await buildCheck(init.cleansing, (rec) => {
      plane?.publishLog(rec);
      post({ t: 'log', rec });
    }, (f) => {
      // A filter that throws is counted per call; every power of two is logged, and its disabling for a
      // source is a status event as well (the source keeps flowing, judged without that filter).
      const details = { filter: f.filter, source: f.source, call: f.call, errors: f.count, error: f.error };
      if (f.disabled) plane?.status({ kind: 'filter_disabled', ...details });
      plane?.log('error', f.disabled ? `filter ${f.filter} disabled for source ${f.source} after repeated failures` : `filter ${f.filter} threw`, { ...details, code: 'MDH_ERR_PLUGIN_FILTER_FAILED' });
    });
  } catch (err) {
    post({ t: 'failed', error: String(err) });
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
    ...(check ? { check: check.check, observe: check.observe, cleansingStats: check.stats, forgetSource: check.forgetSource } : {}),
    instruments: (): Array<Record<string, unknown>> => referenceData(dp),
    onStatus: (ev) => post({ t: 'status', ev }),
    onLog: (rec) => post({ t: 'log', rec }),
  });
  plane = dp;
  let endpoints;
  try {
    endpoints = await dp.start();
  } catch (err) {
    post({ t: 'failed', error: String(err) });
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
      case 'status':
        dp.publishStatus(m.ev);
        break;
      case 'log':
        dp.publishLog(m.rec);
        break;
      case 'stats':
        post({ t: 'reply', reqId: m.reqId, result: dp.stats() });
        break;
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
