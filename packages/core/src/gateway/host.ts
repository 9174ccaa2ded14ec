/**
 * Entry of a gateway child process: one process per gateway instance, so a hung or crashed vendor library
 * can be SIGKILLed and restarted without touching the others or the core. Configuration (and credentials)
 * arrive over the IPC control channel, never in argv or the environment. This process loads the plugin
 * API, its link and its plugin: nothing of knex, the hub, the data plane or the hub's container.
 */
import fs from 'node:fs';
import type { LogLevel, MarketTick } from '@mdhub/protocol';
import { errorInfo } from '../errors.js';
import { TradingCalendar, clockFromParams, loadMarketData } from '../market/index.js';
import { PluginError } from '../plugin/errors.js';
import { loadPlugin } from '../plugin/load.js';
import { parsePluginConfig } from '../plugin/manifest.js';
import type { Gateway, GatewayContext, GatewayState, InstrumentRef } from '../plugin/manifest.js';
import { GatewayLink } from './link.js';
import type { FromGateway, ToGateway } from './messages.js';

const send = (m: FromGateway): void => {
  if (process.connected) process.send!(m);
};

let gateway: Gateway | null = null;
let link: GatewayLink | null = null;
let stopping = false;

async function shutdown(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  try {
    await gateway?.stop();
  } catch { /* exiting anyway */ }
  await link?.close().catch(() => {});
  process.exit(code);
}

// Die with the parent: IPC disconnect, or the parent pid changing (re-parented to init).
const parentPid = process.ppid;
process.on('disconnect', () => void shutdown(0));
setInterval(() => {
  if (process.ppid !== parentPid) void shutdown(0);
}, 500).unref();
process.on('SIGTERM', () => void shutdown(0));
process.on('SIGINT', () => { /* the hub stops us over IPC */ });
process.on('unhandledRejection', (err) => {
  send({ t: 'log', rec: { level: 'error', ts: Date.now(), msg: 'unhandled rejection in gateway', area: 'gateway', details: { error: String(err) } } });
});

/**
 * A plugin's own exception becomes a named error: a named error it threw (a `MDH_ERR_…` code and a
 * `retryable` flag: PluginError, or a plugin's own catalog such as the CTP gateway's) keeps its code and
 * retryability; anything else is `code`.
 */
function named(err: unknown, code: 'MDH_ERR_PLUGIN_CREATE_FAILED' | 'MDH_ERR_GATEWAY_START_FAILED', plugin: string, id: string): Error {
  const e = err as { code?: unknown; retryable?: unknown };
  if (err instanceof PluginError || (err instanceof Error && typeof e.code === 'string' && e.code.startsWith('MDH_ERR_') && typeof e.retryable === 'boolean')) return err as Error;
  return new PluginError(code, { plugin, gateway: id, reason: err instanceof Error ? err.message : String(err) }, err);
}

async function init(m: Extract<ToGateway, { t: 'init' }>): Promise<void> {
  const plugin = await loadPlugin(m.plugin, 'gateway');
  const config = parsePluginConfig(plugin, m.id, m.config);
  const calendar = new TradingCalendar(loadMarketData());
  const clock = clockFromParams(m.clock);
  link = new GatewayLink(m.runId, m.id);
  link.connect(m.endpoint);
  const l = link;
  fs.mkdirSync(m.dataDir, { recursive: true, mode: 0o700 });
  const ctx: GatewayContext<unknown> = Object.freeze({
    id: m.id, hubId: m.hubId, runId: m.runId, config, clock, calendar, dataDir: m.dataDir,
    emit: (ticks: readonly MarketTick[]) => l.emit(ticks),
    setState: (state: GatewayState, reason?: string) => send({ t: 'state', state, ...(reason ? { reason } : {}) }),
    log: (level: LogLevel, msg: string, details?: Record<string, unknown>) =>
      send({ t: 'log', rec: { level, ts: Date.now(), msg, area: `gateway:${m.id}`, ...(details ? { details } : {}) } }),
    report: (info: Record<string, unknown>) => send({ t: 'info', info: { ...info } }),
    instruments: (list: readonly InstrumentRef[]) => send({ t: 'instruments', list: [...list] }),
    unhealthy: (reason: string) => send({ t: 'unhealthy', reason: String(reason) }),
    fail: (err: Error) => failed(err),
  });
  try {
    gateway = plugin.create(ctx);
  } catch (err) {
    throw named(err, 'MDH_ERR_PLUGIN_CREATE_FAILED', plugin.name, m.id);
  }
  send({ t: 'ready', pid: process.pid });
  try {
    await gateway.start();
  } catch (err) {
    throw named(err, 'MDH_ERR_GATEWAY_START_FAILED', plugin.name, m.id);
  }
}

let failing = false;

/** Reports a named failure (once) and ends the process (the supervisor restarts it only when it is retryable). */
function failed(err: unknown): void {
  if (stopping || failing) return;
  failing = true;
  const e = errorInfo(err);
  const retryable = typeof (err as { retryable?: unknown }).retryable === 'boolean' ? (err as { retryable: boolean }).retryable : true;
  const m: FromGateway = { t: 'failed', code: e.code ?? 'MDH_ERR_GATEWAY_START_FAILED', message: e.message, retryable, ...(e.details ? { details: e.details } : {}) };
  // Stop the gateway (a vendor session is released) once the report is written, then exit; at the latest after 2 s.
  setTimeout(() => process.exit(1), 2000).unref();
  if (process.connected) process.send!(m, () => void shutdown(1));
  else void shutdown(1);
}

process.on('message', (m: ToGateway) => {
  switch (m.t) {
    case 'init':
      init(m).catch(failed);
      break;
    case 'ping':
      send({ t: 'pong', n: m.n, sentTicks: link?.sentTicks ?? 0, sentBatches: link?.sentBatches ?? 0, overflow: link?.overflow ?? 0, pending: link?.pendingTicks ?? 0 });
      break;
    case 'control':
      Promise.resolve()
        .then(() => gateway?.control?.(m.cmd))
        .then(
          (result) => send({ t: 'reply', reqId: m.reqId, result }),
          (err: unknown) => send({ t: 'reply', reqId: m.reqId, error: String(err) }),
        );
      break;
    case 'stop':
      void shutdown(0);
      break;
  }
});
