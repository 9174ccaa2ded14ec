import 'reflect-metadata';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { container, type DependencyContainer } from 'tsyringe';
import type { LogRecord, StatusEvent } from '@mdhub/protocol';
import type { HubConfig } from './config.js';
import { embeddedDbUrl } from './config.js';
import type { DataPlaneStats } from './dataplane/dataplane.js';
import { DataPlaneHandle } from './dataplane/handle.js';
import { MdhubError } from './errors.js';
import { Supervisor } from './gateway/supervisor.js';
import { Logger } from './log.js';
import { TradingCalendar, clockFromParams, defaultSimAnchor, loadMarketData, systemClock } from './market/index.js';
import type { Clock, ClockParams } from './market/types.js';
import { PluginRegistry } from './plugin/registry.js';
import { parsePluginConfig } from './plugin/manifest.js';
import { PluginError } from './plugin/errors.js';
import { renderMetrics } from './metrics.js';
import { seedDemo } from './store/seed.js';
import { Store } from './store/store.js';
import { TOKENS } from './tokens.js';

export interface ReadyInfo {
  hubId: string;
  runId: string;
  pid: number;
  pub: string;
  snapshot: string;
  http: string | null;
  simulated: boolean;
  clock: ClockParams;
  sources: string[];
  db: string;
}

/** A running hub (control plane). `startHub` builds it; `stop()` ends it and every child process. */
export class Hub {
  private httpServer: http.Server | null = null;
  private countersTimer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(
    readonly config: HubConfig,
    readonly runId: string,
    readonly container: DependencyContainer,
    readonly store: Store,
    readonly dataplane: DataPlaneHandle,
    readonly supervisor: Supervisor,
    readonly log: Logger,
    readonly clock: Clock,
    readonly ready: ReadyInfo,
  ) {}

  /** Current data-plane counters (seq, per-source wins/duplicates/drops, rejections, queue depth). */
  stats(): Promise<DataPlaneStats> {
    return this.dataplane.stats();
  }

  /** @internal */
  async listen(hostPort: string): Promise<string | null> {
    if (hostPort === 'off') return null;
    const m = /^(.*):(\d+)$/.exec(hostPort);
    if (!m) throw new MdhubError('MDH_ERR_CONFIG_INVALID', { reason: `http must be HOST:PORT or off, got ${hostPort}` });
    const server = http.createServer((req, res) => void this.serve(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(Number(m[2]), m[1], () => resolve());
    });
    this.httpServer = server;
    const a = server.address();
    return typeof a === 'object' && a ? `${m[1]}:${a.port}` : hostPort;
  }

  private async serve(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    try {
      const url = new URL(req.url ?? '/', 'http://x');
      if (req.method === 'GET' && url.pathname === '/healthz') {
        const sources = this.supervisor.info();
        const body = { ok: true, hub_id: this.config.hubId, run_id: this.runId, simulated: this.clock.simulated, sources };
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
        return;
      }
      if (req.method === 'GET' && url.pathname === '/metrics') {
        const stats = await this.stats();
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(renderMetrics(stats, this.supervisor.info()));
        return;
      }
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'not found' }));
    } catch (err) {
      res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: String(err) }));
    }
  }

  /** @internal periodic counters on the status topic (rejections per rule × source, wins, drops). */
  startCounters(everyMs = 5000): void {
    this.countersTimer = setInterval(() => {
      this.stats().then((s) => {
        this.dataplane.publishStatus(this.event({
          kind: 'counters', seq: s.seq, instruments: s.instruments, sources: s.sources, publish_dropped: s.publishDropped,
          // cleansing rejections per rule × source × group
          rejections: s.cleansing?.rejections ?? [],
        }));
      }, () => {});
    }, everyMs);
    this.countersTimer.unref();
  }

  event(ev: { kind: string; [k: string]: unknown }): StatusEvent {
    return { ...ev, ts: Date.now(), hub_id: this.config.hubId, run_id: this.runId };
  }

  /** Stops gateways (gracefully, then SIGKILL), the data plane, HTTP and the database. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.countersTimer) clearInterval(this.countersTimer);
    this.dataplane.publishStatus(this.event({ kind: 'hub_stopping' }));
    await this.supervisor.stop();
    await this.dataplane.close();
    if (this.httpServer) {
      this.httpServer.closeAllConnections();
      await new Promise<void>((r) => this.httpServer!.close(() => r()));
    }
    await this.store.close();
    for (const f of ['ready.json', 'children.json', 'hub.pid']) fs.rmSync(path.join(this.config.dataDir, f), { force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Kills gateway processes a previous hub run (crashed or SIGKILLed) left behind in this data folder. */
function removeLeftovers(dataDir: string, log: Logger): void {
  const file = path.join(dataDir, 'children.json');
  if (!fs.existsSync(file)) return;
  try {
    const pids = JSON.parse(fs.readFileSync(file, 'utf8')) as unknown;
    if (Array.isArray(pids)) {
      for (const pid of pids) {
        if (typeof pid !== 'number' || !alive(pid)) continue;
        let cmd = '';
        try { cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8'); } catch { /* gone */ }
        if (!cmd.includes('gateway/host.js')) continue;
        process.kill(pid, 'SIGKILL');
        log.warn('hub', 'killed a gateway process left by an earlier run', { pid });
      }
    }
  } catch { /* unreadable record: nothing to clean */ }
  fs.rmSync(file, { force: true });
}

function takeLock(dataDir: string): void {
  const file = path.join(dataDir, 'hub.pid');
  if (fs.existsSync(file)) {
    const pid = Number(fs.readFileSync(file, 'utf8'));
    if (Number.isInteger(pid) && pid !== process.pid && alive(pid)) {
      throw new MdhubError('MDH_ERR_HUB_ALREADY_RUNNING', { dataDir, pid });
    }
  }
  fs.writeFileSync(file, String(process.pid));
}

/** Starts a hub: database, data-plane worker, one child process per gateway, HTTP, ready file. */
export async function startHub(config: HubConfig, opts: { dbExplicit?: boolean; logger?: Logger } = {}): Promise<Hub> {
  const log = opts.logger ?? new Logger(config.logLevel, config.logFormat ?? (process.stdout.isTTY ? 'pretty' : 'json'));
  fs.mkdirSync(config.dataDir, { recursive: true });
  takeLock(config.dataDir);
  removeLeftovers(config.dataDir, log);
  const runId = crypto.randomUUID();
  const dbUrl = config.db ?? embeddedDbUrl(config);
  const embedded = config.db === undefined;

  let store: Store;
  try {
    store = await Store.open(dbUrl);
  } catch (err) {
    fs.rmSync(path.join(config.dataDir, 'hub.pid'), { force: true });
    throw err;
  }
  if (embedded && (await store.isEmpty())) {
    await seedDemo(store);
    log.info('hub', 'created the embedded database with a demo of three simulated sources', { db: dbUrl });
  }
  const [{ rows: gatewayRows, bad: badGateways }, { rows: groups, bad: badGroups }] = await Promise.all([store.gateways(), store.groups()]);
  for (const b of [...badGateways, ...badGroups]) log.error('store', 'skipped a malformed configuration row', { ...b }, 'MDH_ERR_DB_BAD_ROW');

  const di = container.createChildContainer();
  const registry = new PluginRegistry();
  di.register(TOKENS.Config, { useValue: config });
  di.register(TOKENS.Logger, { useValue: log });
  di.register(TOKENS.Store, { useValue: store });
  di.register(TOKENS.Plugins, { useValue: registry });

  // Resolve and validate every enabled gateway before anything starts; a bad row is skipped, not fatal.
  const specs: Array<{ id: string; plugin: string; config: unknown; simulated: boolean }> = [];
  for (const row of gatewayRows.filter((r) => r.enabled)) {
    try {
      const plugin = await registry.load(row.plugin, 'gateway');
      specs.push({ id: row.id, plugin: row.plugin, config: parsePluginConfig(plugin, row.id, row.config), simulated: plugin.simulated === true });
    } catch (err) {
      const e = err instanceof MdhubError || err instanceof PluginError ? err : null;
      log.error('hub', `gateway ${row.id} not started`, { gateway: row.id, ...(e?.details ?? { error: String(err) }) }, e?.code);
    }
  }
  if (specs.length === 0) log.warn('hub', 'no gateway instance is enabled: the hub publishes heartbeats only');

  const calendar = new TradingCalendar(loadMarketData());
  const simulated = specs.length > 0 && specs.every((s) => s.simulated);
  const clock: Clock = simulated
    ? clockFromParams({
      simulated: true,
      anchorMs: config.simAnchor ? Date.parse(config.simAnchor) : defaultSimAnchor(calendar, Date.now()),
      monoRefNs: Number(process.hrtime.bigint()),
      rate: config.clockRate,
    })
    : systemClock();
  di.register(TOKENS.Clock, { useValue: clock });
  di.register(TOKENS.Calendar, { useValue: calendar });
  const expiry = calendar.dataExpiryWarning(clock.now());
  if (expiry) log.warn('calendar', `trading-calendar data ends on ${expiry.endsOn} (${expiry.daysLeft} days left): past it, weekdays count as trading days; update markets.json`, { ...expiry }, 'MDH_ERR_CALENDAR_DATA_ENDING');

  let dp: DataPlaneHandle;
  const onStatus = (ev: StatusEvent): void => log.write({ level: ev.kind === 'watermark_reset' || ev.kind === 'failover' ? 'warn' : 'debug', ts: ev.ts, msg: ev.kind, area: 'status', details: ev }, false);
  const onLog = (rec: LogRecord): void => log.write(rec, false);
  try {
    dp = await DataPlaneHandle.start({
      hubId: config.hubId, runId, clock: clock.toJSON(), pubEndpoint: config.pub, snapshotEndpoint: config.snapshot,
      linkTransport: config.linkTransport, groups, sendHighWaterMark: config.sendHighWaterMark, cleansing: config.cleansing,
    }, onStatus, onLog);
  } catch (err) {
    await store.close();
    fs.rmSync(path.join(config.dataDir, 'hub.pid'), { force: true });
    throw new MdhubError('MDH_ERR_CONFIG_INVALID', { reason: `data plane did not start: ${(err as Error).message}` }, err);
  }
  log.addSink((rec) => dp.publishLog(rec));
  di.register(TOKENS.DataPlane, { useValue: dp });

  const childrenFile = path.join(config.dataDir, 'children.json');
  const supervisor = new Supervisor({
    hubId: config.hubId, runId, clock: clock.toJSON(),
    linkEndpoint: (id) => dp.addGateway(id),
    onHealth: (id, healthy) => dp.setHealth(id, healthy),
    onEvent: (ev) => {
      const full = { ...ev, ts: Date.now(), hub_id: config.hubId, run_id: runId };
      dp.publishStatus(full);
      log.write({ level: ev.kind === 'source_exit' || ev.kind === 'source_hung' || ev.kind === 'source_killed' ? 'warn' : 'info', ts: full.ts, msg: ev.kind, area: 'supervisor', details: ev }, false);
    },
    onLog: (rec) => log.write(rec),
    onPids: (pids) => fs.writeFileSync(childrenFile, JSON.stringify(pids)),
  });
  di.register(TOKENS.Supervisor, { useValue: supervisor });
  await supervisor.start(specs.map(({ id, plugin, config: c }) => ({ id, plugin, config: c })));

  const ready: ReadyInfo = {
    hubId: config.hubId, runId, pid: process.pid, pub: dp.endpoints.pub, snapshot: dp.endpoints.snapshot, http: null,
    simulated, clock: clock.toJSON(), sources: specs.map((s) => s.id), db: dbUrl.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@'),
  };
  const hub = new Hub(config, runId, di, store, dp, supervisor, log, clock, ready);
  try {
    ready.http = await hub.listen(config.http);
  } catch (err) {
    await hub.stop();
    throw err;
  }
  hub.startCounters();
  fs.writeFileSync(path.join(config.dataDir, 'ready.json'), JSON.stringify(ready, null, 2));
  dp.publishStatus(hub.event({ kind: 'hub_started', simulated, sources: ready.sources }));
  return hub;
}

/** Reads the ready file a running hub wrote into its data folder. */
export function readReady(dataDir: string): ReadyInfo {
  const file = path.join(dataDir, 'ready.json');
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as ReadyInfo;
  } catch (err) {
    throw new MdhubError('MDH_ERR_HUB_NOT_RUNNING', { dataDir, reason: `no readable ${file}` }, err);
  }
}
