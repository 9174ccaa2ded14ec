/**
 * The composition root: every service of a hub is registered here, by token, with a factory that hands
 * it what it depends on; `startHub` then resolves them in order and starts each, and a hub stops them in
 * the reverse order. Read it top to bottom to see what a hub is made of. Tests replace a service by
 * registering their own under its token (`register` option) before the hub starts.
 */
import 'reflect-metadata';
import crypto from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { container, instanceCachingFactory, type DependencyContainer } from 'tsyringe';
import type { LogRecord, StatusEvent } from '@mdhub/protocol';
import type { HubConfig } from './config.js';
import { embeddedDbUrl, logFileOptions } from './config.js';
import { DataPlaneHandle } from './dataplane/handle.js';
import { MdhubError } from './errors.js';
import { Supervisor } from './gateway/supervisor.js';
import { ControlServer } from './hub/control.js';
import { healthReport } from './hub/health.js';
import type { HealthReport } from './hub/health.js';
import { HttpServer } from './hub/http.js';
import { StaticFiles, dashboardDir } from './hub/static-files.js';
import { buildApi } from './api/app.js';
import { LiveFeed } from './api/live.js';
import { AlertHook, databaseAlert } from './hub/alerts.js';
import { EmailAlerts } from './hub/email-alerts.js';
import { CalendarWatch } from './hub/calendar-watch.js';
import { calendarInForce } from './service/calendar-in-force.js';
import { CORE_VERSION } from './version.js';
import { DEFAULT_HEALTH, HealthMonitor } from './hub/source-health.js';
import { HealthChecks } from './hub/health-checks.js';
import type { HealthCheckInput } from './plugin/manifest.js';
import type { HealthGroup } from './hub/source-health.js';
import type { WatchReport } from './dataplane/watch.js';
import type { Exchange } from '@mdhub/protocol';
import { findProduct } from './market/products.js';
import { Hub } from './hub/hub.js';
import { Logger } from './hub/logger.js';
import { HubMetrics } from './hub/metrics.js';
import { Reconciler, RuntimeReporter, specOf } from './hub/reconciler.js';
import { RunFiles } from './hub/run-files.js';
import type { ReadyInfo } from './hub/run-files.js';
import { TradingCalendar, clockFromParams, defaultSimAnchor, loadMarketData, resumeSimAnchor, systemClock } from './market/index.js';
import type { Clock } from './market/types.js';
import { PluginRegistry } from './plugin/registry.js';
import { PluginScopes } from './plugin/scope.js';
import { ConfigService } from './service/config-service.js';
import type { RuntimeConfig } from './service/config-service.js';
import { createRepository, prepareSchema } from './store/open.js';
import type { ConfigRepository } from './store/repository.js';
import { SecretBox, resolveSecretKeys } from './store/secrets.js';
import { seedDemo } from './store/seed.js';
import { TOKENS } from './tokens.js';

export interface StartOptions {
  /** Environment (MDHUB_SECRET_KEY; children get a scrubbed copy). Default: process.env. */
  env?: NodeJS.ProcessEnv;
  /** Replaces services before anything starts (tests): register under a TOKENS key. */
  register?: (c: DependencyContainer) => void;
  /** What happens when the data plane dies (default: the hub stops and the process exits with code 70). */
  onFatal?: (reason: string) => void;
}

/** Publishes a status event (filled in with ts, hub id and run id) on the status topic and in the log. */
export type StatusBus = (ev: { kind: string; [k: string]: unknown }) => void;

const WARN_EVENTS = new Set([
  'source_exit', 'source_hung', 'source_killed', 'source_failed', 'watermark_reset', 'failover', 'db_unreachable', 'filter_disabled', 'config_needs_restart',
  'source_restart', 'breaker_open', 'group_silent', 'group_down', 'states_replaced',
]);
/** Data-plane events logged at info (the rest of its events at debug, or warn above). */
const INFO_EVENTS = new Set(['canary_resolved']);

/**
 * Whether a group is inside a trading session now: any of its canary products' sessions is open (the
 * calendar, on the market clock). A group without canaries is never judged in session (docs/health.md).
 */
export function groupInSession(canaries: readonly string[], calendar: TradingCalendar, nowMs: number): boolean {
  for (const c of canaries) {
    const dot = c.lastIndexOf('.');
    const p = findProduct(c.slice(dot + 1) as Exchange, c.slice(0, dot), 'future');
    if (p && calendar.isInSession(p.session, nowMs)) return true;
  }
  return false;
}

/** Registers every service of a hub (nothing runs yet). */
export function createHubContainer(settings: HubConfig, opts: StartOptions = {}): DependencyContainer {
  const c = container.createChildContainer();
  const single = <T>(f: (c: DependencyContainer) => T): { useFactory: (c: DependencyContainer) => T } => ({ useFactory: instanceCachingFactory(f) });
  const dbUrl = settings.db ?? embeddedDbUrl(settings.dataDir);
  let liveReady = false;

  c.register(TOKENS.Settings, { useValue: settings });
  c.register(TOKENS.Env, { useValue: opts.env ?? process.env });
  c.register(TOKENS.RunId, { useValue: crypto.randomUUID() });
  c.register(TOKENS.Logger, single(() => {
    const file = logFileOptions(settings);
    return new Logger({ level: settings.logLevel, ...(settings.logFormat ? { format: settings.logFormat } : {}), ...(file ? { file } : {}) });
  }));
  c.register(TOKENS.RunFiles, single((r) => new RunFiles(settings.dataDir, r.resolve(TOKENS.Logger))));
  c.register(TOKENS.Repository, single(() => createRepository(dbUrl)));
  c.register(TOKENS.Plugins, single(() => new PluginRegistry()));
  c.register(TOKENS.Calendar, single(() => new TradingCalendar(loadMarketData())));
  c.register(TOKENS.ConfigService, single((r) => new ConfigService({
    repo: r.resolve(TOKENS.Repository), plugins: r.resolve(TOKENS.Plugins), secrets: r.resolve(TOKENS.Secrets),
  })));
  // The market clock: shifted (simulated) when every source this hub starts with is simulated.
  c.register(TOKENS.Clock, single((r): Clock => {
    const rc = r.resolve<RuntimeConfig>(TOKENS.InitialRuntime);
    const simulated = rc.gateways.length > 0 && rc.gateways.every((g) => g.simulated);
    if (!simulated) return systemClock();
    const calendar = r.resolve<TradingCalendar>(TOKENS.Calendar);
    // Without --sim-anchor a simulated hub resumes the market where this data folder's last run left it
    // (forward to the next open when that was outside a session), never back to 09:35.
    const saved = settings.simAnchor ? null : r.resolve<RunFiles>(TOKENS.RunFiles).readSimClock();
    const anchorMs = settings.simAnchor ? Date.parse(settings.simAnchor) : saved !== null ? resumeSimAnchor(calendar, saved) : defaultSimAnchor(calendar, Date.now());
    return clockFromParams({ simulated: true, anchorMs, monoRefNs: Number(process.hrtime.bigint()), rate: settings.clockRate });
  }));
  c.register(TOKENS.PluginScopes, single((r) => new PluginScopes({
    hubId: settings.hubId, runId: r.resolve(TOKENS.RunId), clock: r.resolve(TOKENS.Clock), calendar: r.resolve(TOKENS.Calendar),
  })));
  /** Status events to the API's live feed, once it exists (never resolved early for it, never fatal). */
  const liveStatus = (ev: Record<string, unknown>): void => {
    try {
      if (liveReady) c.resolve<LiveFeed>(TOKENS.Live).status(ev);
    } catch { /* the live feed never stops a status event */ }
  };
  c.register(TOKENS.LiveReady, { useValue: () => { liveReady = true; } });
  c.register(TOKENS.StatusBus, single((r): StatusBus => {
    const log = r.resolve<Logger>(TOKENS.Logger);
    const runId = r.resolve<string>(TOKENS.RunId);
    return (ev) => {
      const full: StatusEvent = { ...ev, ts: Date.now(), hub_id: settings.hubId, run_id: runId };
      r.resolve<DataPlaneHandle>(TOKENS.DataPlane).publishStatus(full);
      log.write({ level: WARN_EVENTS.has(ev.kind) ? 'warn' : 'info', ts: full.ts, msg: ev.kind, area: 'status', details: ev }, false);
      liveStatus(full);
    };
  }));
  c.register(TOKENS.Supervisor, single((r) => {
    const dp = (): DataPlaneHandle => r.resolve<DataPlaneHandle>(TOKENS.DataPlane);
    const log = r.resolve<Logger>(TOKENS.Logger);
    const files = r.resolve<RunFiles>(TOKENS.RunFiles);
    const scopes = r.resolve<PluginScopes>(TOKENS.PluginScopes);
    const bus = r.resolve<StatusBus>(TOKENS.StatusBus);
    const health = (): HealthMonitor => r.resolve<HealthMonitor>(TOKENS.Health);
    return new Supervisor({
      hubId: settings.hubId, runId: r.resolve(TOKENS.RunId), clock: r.resolve<Clock>(TOKENS.Clock).toJSON(), env: r.resolve(TOKENS.Env),
      linkEndpoint: (id) => dp().addGateway(id),
      // The health monitor decides whether a source feeds; a process or connection change is judged at once.
      onHealth: () => r.resolve<HealthMonitor>(TOKENS.Health).evaluate(),
      onEvent: (ev) => {
        bus(ev);
        if (ev.kind === 'breaker_open') health().breakerOpened(String(ev['source']));
        if (ev.kind === 'source_spawned') dp().sourceStarted(String(ev['source']));
        health().evaluate();
      },
      onLog: (rec) => log.write(rec),
      onPids: (pids) => files.writeChildren(pids),
      onInstruments: (id, list) => dp().prepareInstruments(id, list),
      dataDir: path.resolve(settings.dataDir),
      context: (spec, dataDir) => scopes.gatewayContext(spec.id, spec.config, dataDir),
    });
  }));
  c.register(TOKENS.CalendarWatch, single((r) => {
    const clock = r.resolve<Clock>(TOKENS.Clock);
    const log = r.resolve<Logger>(TOKENS.Logger);
    return new CalendarWatch({
      calendar: async () => (await calendarInForce(r.resolve<ConfigService>(TOKENS.ConfigService))).calendar,
      now: () => clock.now(), simulated: clock.simulated, alert: (a) => r.resolve<AlertHook>(TOKENS.Alerts).emit(a),
      warn: (msg, details) => log.warn('calendar', msg, details),
    });
  }));
  c.register(TOKENS.Alerts, single((r) => new AlertHook(r.resolve(TOKENS.Logger))));
  c.register(TOKENS.EmailAlerts, single((r) => new EmailAlerts({ hubId: settings.hubId, store: r.resolve(TOKENS.ConfigService), log: r.resolve(TOKENS.Logger), env: r.resolve(TOKENS.Env) })));
  c.register(TOKENS.Health, single((r) => {
    const sup = r.resolve<Supervisor>(TOKENS.Supervisor);
    const initial = r.resolve<RuntimeConfig>(TOKENS.InitialRuntime);
    const clock = r.resolve<Clock>(TOKENS.Clock);
    const calendar = r.resolve<TradingCalendar>(TOKENS.Calendar);
    const alerts = r.resolve<AlertHook>(TOKENS.Alerts);
    const groups = (): RuntimeConfig['groups'] => r.resolve<Reconciler>(TOKENS.Reconciler).current?.groups ?? initial.groups;
    return new HealthMonitor({
      settings: { ...DEFAULT_HEALTH, ...initial.health },
      facts: () => sup.facts(),
      groups: (): HealthGroup[] => groups().map((g) => ({ name: g.name, sources: g.sources })),
      inSession: (name) => groupInSession(groups().find((g) => g.name === name)?.canaries ?? [], calendar, clock.now()),
      setFeeding: (id, feeding) => r.resolve<DataPlaneHandle>(TOKENS.DataPlane).setHealth(id, feeding),
      kill: (id, reason) => sup.kill(id, reason),
      noteHealthy: (id) => sup.noteHealthy(id),
      event: (ev) => r.resolve<StatusBus>(TOKENS.StatusBus)(ev),
      alert: (a) => alerts.emit(a),
      now: () => performance.now(),
      checks: (id) => r.resolve<HealthChecks>(TOKENS.HealthChecks).of(id),
    });
  }));
  c.register(TOKENS.HealthChecks, single((r) => {
    const sup = r.resolve<Supervisor>(TOKENS.Supervisor);
    const monitor = (): HealthMonitor => r.resolve<HealthMonitor>(TOKENS.Health);
    const initial = r.resolve<RuntimeConfig>(TOKENS.InitialRuntime);
    const clock = r.resolve<Clock>(TOKENS.Clock);
    const calendar = r.resolve<TradingCalendar>(TOKENS.Calendar);
    const log = r.resolve<Logger>(TOKENS.Logger);
    const groups = (): RuntimeConfig['groups'] => r.resolve<Reconciler>(TOKENS.Reconciler).current?.groups ?? initial.groups;
    return new HealthChecks({
      load: (pkg) => r.resolve<PluginRegistry>(TOKENS.Plugins).load(pkg, 'health-check'),
      create: (plugin, config) => plugin.create({
        config, clock, calendar,
        log: (level, msg, details) => log.write({ level, ts: Date.now(), msg, area: `health-check:${plugin.name}`, ...(details ? { details } : {}) }),
      }),
      inputs: (): HealthCheckInput[] => {
        const w = monitor().lastWatch();
        const views = new Map(monitor().views().map((v) => [v.id, v]));
        const infos = new Map(sup.info().map((i) => [i.id, i]));
        const gs = groups();
        return sup.facts().map((f) => ({
          source: f.id, state: f.state, health: views.get(f.id)?.health ?? 'restarting', upMs: Math.round(f.upMs),
          behindMs: w.sources[f.id]?.behind_ms ?? 0, canary: w.sources[f.id]?.canary ?? null, dataAgeMs: w.sources[f.id]?.data_age_ms ?? null,
          quality: w.quality?.[f.id] ?? null, info: infos.get(f.id)?.info ?? {},
          inSession: gs.some((g) => (g.sources.length === 0 || g.sources.includes(f.id)) && groupInSession(g.canaries, calendar, clock.now())),
        }));
      },
      event: (ev) => r.resolve<StatusBus>(TOKENS.StatusBus)(ev),
      log: (level, msg, details, code) => log[level]('health', msg, details, code),
    });
  }));
  c.register(TOKENS.Reporter, single((r) => new RuntimeReporter(r.resolve(TOKENS.Logger))));
  c.register(TOKENS.Reconciler, single((r) => new Reconciler({
    reporter: r.resolve(TOKENS.Reporter), service: r.resolve(TOKENS.ConfigService), supervisor: r.resolve(TOKENS.Supervisor), dataplane: r.resolve(TOKENS.DataPlane), log: r.resolve(TOKENS.Logger),
    onHealthSettings: (h) => r.resolve<HealthMonitor>(TOKENS.Health).configure({ ...DEFAULT_HEALTH, ...h }),
    onHealthChecks: (list) => r.resolve<HealthChecks>(TOKENS.HealthChecks).configure(list),
    onAlertSettings: (a) => r.resolve<EmailAlerts>(TOKENS.EmailAlerts).configure(a),
    onDatabase: (s) => r.resolve<AlertHook>(TOKENS.Alerts).emit(databaseAlert(s)),
    hubId: settings.hubId, status: r.resolve(TOKENS.StatusBus), simulated: r.resolve<Clock>(TOKENS.Clock).simulated, pollMs: settings.configPollMs,
  })));
  c.register(TOKENS.Metrics, single((r) => new HubMetrics(async () => {
    const dp = r.resolve<DataPlaneHandle>(TOKENS.DataPlane);
    const rec = r.resolve<Reconciler>(TOKENS.Reconciler);
    return {
      stats: dp.alive ? await dp.stats(2000).catch(() => null) : null, sources: r.resolve<Supervisor>(TOKENS.Supervisor).info(),
      db: { up: rec.db.up, revision: rec.db.revision, reloads: rec.db.reloads, reloadErrors: rec.db.reloadErrors }, dataplaneUp: dp.alive, alertEmails: r.resolve<EmailAlerts>(TOKENS.EmailAlerts).counts,
      health: r.resolve<HealthMonitor>(TOKENS.Health).views(), healthCounters: r.resolve<HealthMonitor>(TOKENS.Health).counters(),
    };
  })));
  const startedAt = Date.now();
  /** Published ticks per second, from the sequence between two reads at least 900 ms apart (the API and the WebSocket share it; null before the second). */
  const published: { at: number; seq: number; rate: number | null } = { at: 0, seq: 0, rate: null };
  const overview = async (r: DependencyContainer): Promise<Record<string, unknown>> => {
    const hub = r.resolve<Hub>(Hub);
    const [stats, h] = [await hub.stats(), hub.health()];
    const now = performance.now();
    if (published.at === 0) Object.assign(published, { at: now, seq: stats.seq });
    else if (now - published.at >= 900) Object.assign(published, { rate: Math.max(0, (stats.seq - published.seq) / ((now - published.at) / 1000)), at: now, seq: stats.seq });
    return {
      hub_id: h.hub_id, run_id: h.run_id, version: CORE_VERSION, simulated: h.simulated, started_at: startedAt, uptime_s: Math.round((Date.now() - startedAt) / 1000),
      status: h.status, reasons: h.reasons, db: h.db, seq: stats.seq, instruments: stats.instruments, published_per_s: published.rate === null ? null : Math.round(published.rate), // null: the first read (no interval yet)
      latency: stats.latency, instrument_states: stats.instrumentStates,
      sources: h.sources.map((x) => ({ id: x.id, state: x.state, reason: x.reason, restarts: x.restarts, health: x.health, health_reason: x.health_reason, feeding: x.feeding })),
      alerts: r.resolve<AlertHook>(TOKENS.Alerts).recent.slice(-50).reverse(),
    };
  };
  c.register(TOKENS.Api, single((r) => buildApi({
    service: r.resolve(TOKENS.ConfigService), hub: () => r.resolve<Hub>(Hub), allowedOrigins: settings.allowedOrigins, secureCookie: settings.tlsCert !== undefined, logs: (q) => r.resolve<Logger>(TOKENS.Logger).recent(q),
    overview: () => overview(r),
  })));
  c.register(TOKENS.Live, single((r) => {
    // Tick rates from the received counters between two reads.
    let last: { at: number; received: Record<string, number> } | null = null;
    return new LiveFeed({
      sessions: r.resolve<ReturnType<typeof buildApi>>(TOKENS.Api).sessions,
      allowedOrigins: settings.allowedOrigins,
      hub: () => overview(r),
      sources: async () => {
        const hub = r.resolve<Hub>(Hub);
        const stats = await hub.stats();
        const now = performance.now();
        const rates: Record<string, number> = {};
        for (const [id, s] of Object.entries(stats.sources)) rates[id] = last && last.received[id] !== undefined ? Math.max(0, (s.received - last.received[id]!) / ((now - last.at) / 1000)) : 0;
        last = { at: now, received: Object.fromEntries(Object.entries(stats.sources).map(([id, s]) => [id, s.received])) };
        const watch = r.resolve<HealthMonitor>(TOKENS.Health).lastWatch();
        return hub.health().sources.map((x) => ({
          id: x.id, state: x.state, reason: x.reason, health: x.health, health_reason: x.health_reason, feeding: x.feeding, pid: x.pid, restarts: x.restarts, breaker: x.breaker,
          ticks_per_s: Math.round(rates[x.id] ?? 0), received: stats.sources[x.id]?.received ?? 0, rejected: stats.sources[x.id]?.rejected ?? 0, behind_ms: watch.sources[x.id]?.behind_ms ?? null, data_age_ms: watch.sources[x.id]?.data_age_ms ?? null,
          quality: stats.quality[x.id] ?? null,
          canaries: stats.canaries.map((k) => ({ group: k.group, product: k.product, instrument: k.instrument, age_ms: k.sources[x.id]?.age_ms ?? null, behind_ms: k.sources[x.id]?.behind_ms ?? null })),
        }));
      },
      counters: async () => {
        const s = await r.resolve<Hub>(Hub).stats();
        return { seq: s.seq, instruments: s.instruments, sources: s.sources, rejections: s.cleansing?.rejections ?? [], instrument_states: s.instrumentStates, takeovers: s.takeovers, states_replaced: s.statesReplaced };
      },
    });
  }));
  c.register(TOKENS.Http, single((r) => new HttpServer(
    settings.http, () => r.resolve<Hub>(Hub).health(), r.resolve(TOKENS.Metrics),
    r.resolve<ReturnType<typeof buildApi>>(TOKENS.Api).handle,
    (req, socket, head) => r.resolve<LiveFeed>(TOKENS.Live).upgrade(req, socket, head),
    new StaticFiles(settings.dashboard === 'off' ? null : settings.dashboard ?? dashboardDir()),
    settings.tlsCert !== undefined && settings.tlsKey !== undefined ? { cert: settings.tlsCert, key: settings.tlsKey } : undefined,
  )));
  c.register(TOKENS.Control, single((r) => new ControlServer(r.resolve<RunFiles>(TOKENS.RunFiles).controlSocket, r.resolve<Hub>(Hub).controlHandlers())));
  c.register(Hub, single((r) => new Hub({
    settings, runId: r.resolve(TOKENS.RunId), log: r.resolve(TOKENS.Logger), files: r.resolve(TOKENS.RunFiles), service: r.resolve(TOKENS.ConfigService),
    dataplane: r.resolve(TOKENS.DataPlane), supervisor: r.resolve(TOKENS.Supervisor), reconciler: r.resolve(TOKENS.Reconciler), clock: r.resolve(TOKENS.Clock),
    status: r.resolve(TOKENS.StatusBus), healthMonitor: r.resolve(TOKENS.Health), alerts: r.resolve(TOKENS.Alerts), ...(opts.onFatal ? { onFatal: opts.onFatal } : {}),
  })));
  opts.register?.(c);
  return c;
}

/**
 * The id of the key the stored secrets use: the recorded one, else the key id in any stored ciphertext,
 * so a lost or malformed record can never let a new key be made while secrets under another exist.
 */
async function expectedKeyId(repo: ConfigRepository, onBadRecord: (err: unknown) => void): Promise<string | null> {
  const stored = await repo.get('settings', { key: 'secrets.key_id' }).catch((err: unknown) => {
    onBadRecord(err);
    return undefined;
  });
  if (typeof stored?.value === 'string') return stored.value;
  for (const a of (await repo.list('accounts')).rows) {
    const kid = (a.password_enc && SecretBox.keyIdOf(a.password_enc)) || (a.auth_code_enc && SecretBox.keyIdOf(a.auth_code_enc));
    if (kid) return kid;
  }
  return null;
}

/** What has started, stopped in the reverse order when start-up fails or the hub stops. */
class Stack {
  private readonly steps: Array<{ name: string; stop: () => Promise<void> | void }> = [];
  push(name: string, stop: () => Promise<void> | void): void {
    this.steps.push({ name, stop });
  }
  async unwind(log?: Logger): Promise<void> {
    while (this.steps.length > 0) {
      const s = this.steps.pop()!;
      try {
        await s.stop();
      } catch (err) {
        log?.warn('hub', `stopping ${s.name} failed`, { error: String(err) });
      }
    }
  }
}

/**
 * Starts a hub: lock the data folder, open the database (the embedded SQLite migrates itself and seeds
 * the demo; an external database must be migrated), the secret key, the desired state, the market
 * clock, the data-plane worker, one child process per gateway, live reconfiguration, HTTP and the
 * control socket, then the ready file. A failure at any step stops what started, removes the lock and
 * throws a named error: nothing is left behind.
 */
export async function startHub(settings: HubConfig, opts: StartOptions = {}): Promise<Hub> {
  const c = createHubContainer(settings, opts);
  const log = c.resolve<Logger>(TOKENS.Logger);
  const stack = new Stack();
  try {
    const files = c.resolve<RunFiles>(TOKENS.RunFiles);
    files.lock();
    stack.push('run files', () => files.release());

    const repo = c.resolve<ConfigRepository>(TOKENS.Repository);
    await repo.connect();
    stack.push('database', () => repo.close());
    const embedded = settings.db === undefined;
    await prepareSchema(repo, embedded ? 'auto' : 'check');

    const expected = await expectedKeyId(repo, (err) => log.failure('store', 'the stored secret key id is unreadable: the key of the stored ciphertexts is expected', err));
    const keys = resolveSecretKeys({ env: c.resolve(TOKENS.Env), dataDir: settings.dataDir, expectedKeyId: expected, create: true });
    if (keys.warning) log.warn('secrets', keys.warning);
    if (keys.created) log.info('secrets', 'created the secret key file (mode 0600): back it up, or set MDHUB_SECRET_KEY', { dataDir: settings.dataDir, key_id: keys.box.currentId });
    if (keys.box.currentId === null) log.error('secrets', 'no secret key: accounts with stored secrets cannot be used until it is configured', { expected }, 'MDH_ERR_SECRET_KEY_MISSING');
    c.register<SecretBox>(TOKENS.Secrets, { useValue: keys.box });

    const service = c.resolve<ConfigService>(TOKENS.ConfigService);
    // The calendar in force: imported years (mdhub calendar import) take precedence over the shipped ones.
    const inForce = await calendarInForce(service);
    c.register<TradingCalendar>(TOKENS.Calendar, { useValue: inForce.calendar });
    if (inForce.imported.length > 0) log.info('calendar', `imported calendar years in force: ${inForce.imported.map((y) => y.year).join(', ')}`, { years: inForce.imported.map((y) => ({ year: y.year, source: y.source, imported_at: y.imported_at })) });
    for (const b of inForce.bad) log.warn('calendar', `stored calendar year ${b.id} is malformed and ignored (the shipped calendar applies): import it again`, { ...b }, 'MDH_ERR_CALENDAR_BAD_FILE');
    const actor = { name: `hub:${settings.hubId}`, hubId: settings.hubId };
    if (embedded) {
      const [g, gr] = await Promise.all([repo.list('gateways'), repo.list('groups')]);
      if (g.rows.length + g.bad.length + gr.rows.length + gr.bad.length === 0) {
        await seedDemo(service, actor);
        log.info('hub', 'created the embedded database with a demo of three simulated sources', { db: repo.url });
      }
      if (await service.ensureAdmin()) log.warn('hub', 'created the dashboard user admin with the default password 123456: it must be changed at first login');
    }

    const runtime = await service.loadRuntime(settings.hubId);
    c.resolve<RuntimeReporter>(TOKENS.Reporter).report(runtime);
    c.register<RuntimeConfig>(TOKENS.InitialRuntime, { useValue: runtime });
    const emailAlerts = c.resolve<EmailAlerts>(TOKENS.EmailAlerts);
    emailAlerts.configure(runtime.alerts);
    emailAlerts.attach(c.resolve<AlertHook>(TOKENS.Alerts));
    emailAlerts.start();
    stack.push('email alerts', () => emailAlerts.stop());
    if (runtime.gateways.length === 0) log.warn('hub', 'no gateway instance is enabled: the hub publishes heartbeats only');

    const clock = c.resolve<Clock>(TOKENS.Clock);
    // The calendar data's end is checked by the calendar watch (at start, then daily: the calendar_ending alert).

    let hubRef: Hub | null = null;
    let healthRef: HealthMonitor | null = null;
    let liveRef: LiveFeed | null = null;
    const dp = await DataPlaneHandle.start({
      hubId: settings.hubId, runId: c.resolve(TOKENS.RunId), clock: clock.toJSON(), pubEndpoint: settings.pub, snapshotEndpoint: settings.snapshot,
      linkTransport: settings.linkTransport, groups: runtime.groups, sendHighWaterMark: settings.sendHighWaterMark, cleansing: runtime.cleansing,
      startedAt: Date.now(), canaries: runtime.groups.map((g) => ({ group: g.name, canaries: g.canaries })),
      watch: { lagMs: { ...DEFAULT_HEALTH, ...runtime.health }.canaryLagMs },
      ...(inForce.imported.length > 0 ? { calendar: inForce.calendar.marketData() } : {}),
    }, {
      onStatus: (ev) => {
        log.write({ level: WARN_EVENTS.has(ev.kind) ? 'warn' : INFO_EVENTS.has(ev.kind) ? 'info' : 'debug', ts: ev.ts, msg: ev.kind, area: 'status', details: ev }, false);
        if (liveRef) liveRef.status(ev);
      },
      onLog: (rec: LogRecord) => log.write(rec, false),
      onDead: (reason) => hubRef?.fatal(reason),
      onWatch: (report: WatchReport) => healthRef?.onWatch(report),
    });
    c.register<DataPlaneHandle>(TOKENS.DataPlane, { useValue: dp });
    stack.push('data plane', () => dp.close());
    log.addSink((rec) => dp.publishLog(rec));

    const supervisor = c.resolve<Supervisor>(TOKENS.Supervisor);
    stack.push('gateways', () => supervisor.stop()); // before they start: a failure halfway stops those started
    const health = c.resolve<HealthMonitor>(TOKENS.Health);
    healthRef = health;
    health.start();
    stack.push('health', () => health.stop());
    const checks = c.resolve<HealthChecks>(TOKENS.HealthChecks);
    await checks.configure(runtime.healthChecks);
    checks.start();
    stack.push('health checks', () => checks.stop());
    for (const g of runtime.groups) {
      if (g.canaries.length < 2) log.warn('health', `group ${g.name} has ${g.canaries.length === 0 ? 'no canary' : 'one canary'}: at least two canary products from different products are advised (mdhub group set ${g.name} --canaries rb.SHFE,SR.CZCE); without canaries a silent source is seen only by "no data" and the group is never judged in session`, { group: g.name });
    }
    await supervisor.start(runtime.gateways.map(specOf));

    const reconciler = c.resolve<Reconciler>(TOKENS.Reconciler);
    reconciler.start(runtime);
    stack.push('live reconfiguration', () => reconciler.stop());

    const hub = c.resolve<Hub>(Hub);
    hubRef = hub;
    const http = c.resolve<HttpServer>(TOKENS.Http);
    const live = c.resolve<LiveFeed>(TOKENS.Live);
    liveRef = live;
    c.resolve<() => void>(TOKENS.LiveReady)();
    log.onRecord((rec) => live.log(rec));
    const httpAddress = await http.start();
    stack.push('http', () => http.stop());
    stack.push('live feed', () => live.close()); // before the listener closes: its sockets are upgraded ones
    const control = c.resolve<ControlServer>(TOKENS.Control);
    await control.start();
    stack.push('control socket', () => control.stop());

    const ready: ReadyInfo = {
      hubId: settings.hubId, runId: c.resolve(TOKENS.RunId), pid: process.pid, pub: dp.endpoints.pub, snapshot: dp.endpoints.snapshot, http: httpAddress,
      control: control.socketPath, simulated: clock.simulated, clock: clock.toJSON(), sources: runtime.gateways.map((g) => g.id), db: repo.url,
    };
    hub.started(ready, stack);
    files.writeReady(ready);
    c.resolve<StatusBus>(TOKENS.StatusBus)({ kind: 'hub_started', simulated: clock.simulated, sources: ready.sources, host: os.hostname() });
    // Calendar-data end (daily) and schedule alerts; pushed last, so a stop checks the schedule first.
    const watch = c.resolve<CalendarWatch>(TOKENS.CalendarWatch);
    watch.start();
    void watch.hubStarted();
    stack.push('calendar watch', () => {
      watch.hubStopping();
      watch.stop();
    });
    return hub;
  } catch (err) {
    await stack.unwind(log);
    if (err instanceof MdhubError || (err as { code?: unknown }).code) throw err;
    throw new MdhubError('MDH_ERR_CONFIG_INVALID', { reason: `the hub did not start: ${(err as Error)?.message ?? String(err)}` }, err);
  }
}

export type { HealthReport };
export { healthReport };

/** What a CLI command works with: the configuration service on an open database. */
export interface ServiceHandle {
  service: ConfigService;
  repo: ConfigRepository;
  secrets: SecretBox;
  /** True when the database is the embedded SQLite of the data folder. */
  embedded: boolean;
  close(): Promise<void>;
}

/**
 * The CLI's composition: the configuration service on the database a command names (`--db`, else
 * MDHUB_DB_URL, else the embedded SQLite of the data folder, which migrates itself). `schema: 'check'`
 * refuses an external database that is not migrated; `'none'` leaves the schema alone (db migrate).
 * `createKey` lets the first secret create the key file, as a first hub start does.
 */
export async function openService(opts: { db?: string | undefined; dataDir: string; env: NodeJS.ProcessEnv; schema: 'check' | 'none'; createKey: boolean }): Promise<ServiceHandle> {
  const fromEnv = opts.env['MDHUB_DB_URL'] || undefined; // set but empty counts as unset
  const url = opts.db ?? fromEnv ?? embeddedDbUrl(opts.dataDir);
  const embedded = opts.db === undefined && fromEnv === undefined;
  const c = container.createChildContainer();
  c.register(TOKENS.Repository, { useFactory: instanceCachingFactory(() => createRepository(url)) });
  c.register(TOKENS.Plugins, { useFactory: instanceCachingFactory(() => new PluginRegistry()) });
  const repo = c.resolve<ConfigRepository>(TOKENS.Repository);
  await repo.connect();
  try {
    if (opts.schema === 'check' || embedded) await prepareSchema(repo, embedded ? 'auto' : 'check');
    const expected = opts.schema === 'none' && !embedded ? null : await expectedKeyId(repo, () => {});
    const keys = resolveSecretKeys({ env: opts.env, dataDir: opts.dataDir, expectedKeyId: expected, create: opts.createKey });
    c.register<SecretBox>(TOKENS.Secrets, { useValue: keys.box });
    c.register(TOKENS.ConfigService, { useFactory: instanceCachingFactory((r) => new ConfigService({ repo: r.resolve(TOKENS.Repository), plugins: r.resolve(TOKENS.Plugins), secrets: r.resolve(TOKENS.Secrets) })) });
    return { service: c.resolve(TOKENS.ConfigService), repo, secrets: keys.box, embedded, close: () => repo.close() };
  } catch (err) {
    await repo.close().catch(() => {});
    throw err;
  }
}
