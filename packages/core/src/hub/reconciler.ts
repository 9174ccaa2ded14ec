/**
 * Live reconfiguration: polls the configuration revision (every hub sharing a database does), and on a
 * change reads the hub's desired state and applies the difference: starts, stops or restarts only the
 * gateway instances that changed, replaces the instrument groups and the cleansing stage in the data
 * plane. A lost database never stops ticks: the last applied configuration stays in force, the poll
 * retries with backoff, and the loss and the recovery are status events (`db_unreachable`,
 * `db_recovered`).
 */
import type { DataPlaneHandle } from '../dataplane/handle.js';
import type { GatewaySpec, Supervisor } from '../gateway/supervisor.js';
import type { ConfigService, RuntimeConfig, RuntimeGateway } from '../service/config-service.js';
import type { Logger } from './logger.js';

export interface DbState {
  up: boolean;
  /** When the database was last seen down or up (epoch ms). */
  since: number;
  lastError: string | null;
  /** Revision of the configuration in force. */
  revision: number;
  reloads: number;
  reloadErrors: number;
}

/** Logs a runtime configuration's named errors, bad rows and notes, each once until it changes. */
export class RuntimeReporter {
  private reported = new Set<string>();

  constructor(private readonly log: Logger) {}

  report(rc: RuntimeConfig): void {
    const seen = new Set<string>();
    for (const s of rc.skipped) {
      const k = `skip|${s.id}|${s.code}|${s.message}`;
      seen.add(k);
      if (!this.reported.has(k)) this.log.error('config', `gateway ${s.id} not started`, { gateway: s.id, ...s.details, reason: s.message }, s.code);
    }
    for (const b of rc.bad) {
      const k = `bad|${b.table}|${b.key}|${b.reason}`;
      seen.add(k);
      if (!this.reported.has(k)) this.log.error('store', 'skipped a malformed configuration row', { ...b }, 'MDH_ERR_DB_BAD_ROW');
    }
    for (const n of rc.notes) {
      const k = `note|${n}`;
      seen.add(k);
      if (!this.reported.has(k)) this.log.warn('config', n);
    }
    this.reported = seen;
  }
}

export interface ReconcilerDeps {
  reporter: RuntimeReporter;
  service: ConfigService;
  supervisor: Supervisor;
  dataplane: DataPlaneHandle;
  log: Logger;
  hubId: string;
  /** Publishes a status event (the hub fills in ts, hub_id, run_id). */
  status(ev: { kind: string; [k: string]: unknown }): void;
  /** Whether the hub runs a simulated market clock (a real gateway cannot join it live). */
  simulated: boolean;
  /** The source-health thresholds changed. */
  onHealthSettings?(h: RuntimeConfig['health']): void;
  /** The enabled health-check plugins (or their configurations) changed. */
  onHealthChecks?(list: RuntimeConfig['healthChecks']): Promise<void>;
  /** The email-alert settings changed. */
  onAlertSettings?(a: RuntimeConfig['alerts']): void;
  /** The configuration database became unreachable (`up: false`, with the reason) or reachable again (with how long it was down). */
  onDatabase?(s: { up: false; reason: string } | { up: true; downMs: number }): void;
  /** Poll period, ms (default 1000). */
  pollMs?: number;
  /** Longest wait between retries while the database is unreachable, ms (default 30 s). */
  maxBackoffMs?: number;
}

/** The spec the supervisor runs for a desired gateway. */
export function specOf(g: RuntimeGateway): GatewaySpec {
  return { id: g.id, plugin: g.plugin, config: g.config, fingerprint: g.fingerprint };
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/**
 * A running gateway that a reload cannot read any more for one of these reasons keeps running on what it
 * has: a secret under a key this hub does not hold (a rotation in progress), or a plugin package that
 * does not import right now. Disabling, removing or unpinning it, or disabling its account
 * (MDH_ERR_ACCOUNT_DISABLED, which loadRuntime reports before any of these), stops it as usual.
 */
const KEEP_RUNNING = new Set(['MDH_ERR_SECRET_KEY_MISSING', 'MDH_ERR_SECRET_KEY_MISMATCH', 'MDH_ERR_SECRET_UNDECRYPTABLE', 'MDH_ERR_PLUGIN_NOT_FOUND']);

export class Reconciler {
  private applied: RuntimeConfig | null = null;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private failures = 0;
  private busy: Promise<void> = Promise.resolve();
  /** The groups and cleansing in force in the data plane (each replaced only when that succeeds). */
  private groups: RuntimeConfig['groups'] | null = null;
  private cleansing: RuntimeConfig['cleansing'] | null = null;
  private health: RuntimeConfig['health'] | null = null;
  private healthChecks: RuntimeConfig['healthChecks'] | null = null;
  private alerts: RuntimeConfig['alerts'] | null = null;
  /** A revision whose reload failed, and when to try it again (backoff, so a bad change cannot loop). */
  private failedRevision = -1;
  private retryAt = 0;
  private retries = 0;
  readonly db: DbState = { up: true, since: Date.now(), lastError: null, revision: 0, reloads: 0, reloadErrors: 0 };

  constructor(private readonly deps: ReconcilerDeps) {}

  /** The configuration in force. */
  get current(): RuntimeConfig | null {
    return this.applied;
  }

  /** Marks `rc` as in force (the boot sequence started it) and starts polling. */
  start(rc: RuntimeConfig): void {
    this.applied = this.filtered(rc);
    this.groups = rc.groups;
    this.cleansing = rc.cleansing;
    this.health = rc.health;
    this.healthChecks = rc.healthChecks;
    this.alerts = rc.alerts;
    this.db.revision = rc.revision;
    this.schedule(this.deps.pollMs ?? 1000);
  }

  /** The gateways of `rc` this hub can run now (a real source cannot join a simulated clock live). */
  private filtered(rc: RuntimeConfig): RuntimeConfig {
    if (!this.deps.simulated) return rc;
    const real = rc.gateways.filter((g) => !g.simulated);
    if (real.length === 0) return rc;
    return {
      ...rc,
      gateways: rc.gateways.filter((g) => g.simulated),
      skipped: [...rc.skipped, ...real.map((g) => ({
        id: g.id, code: 'MDH_ERR_CONFIG_CONFLICT', message: 'needs restart: this hub runs a simulated market clock, and a real source needs the system clock',
        details: { gateway: g.id, needs_restart: true },
      }))],
    };
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      void this.poll().finally(() => {
        const base = this.deps.pollMs ?? 1000;
        this.schedule(this.db.up ? base : Math.min(this.deps.maxBackoffMs ?? 30_000, base * 2 ** Math.min(this.failures, 10)));
      });
    }, ms);
    this.timer.unref();
  }

  /** One poll (the timer's, or `mdhub` asking for a reload), one at a time: the revision, and a reload when it changed. Never throws. */
  poll(): Promise<void> {
    this.busy = this.busy.then(() => this.pollOnce());
    return this.busy;
  }

  private async pollOnce(): Promise<void> {
    let revision: number;
    try {
      revision = await this.deps.service.revision();
    } catch (err) {
      this.lost(err);
      return;
    }
    if (!this.db.up) this.recovered();
    this.failures = 0;
    if (revision === this.db.revision) return;
    if (revision === this.failedRevision && Date.now() < this.retryAt) return;
    try {
      const next = await this.deps.service.loadRuntime(this.deps.hubId);
      this.deps.reporter.report(next);
      await this.apply(next);
      this.db.revision = next.revision;
      this.db.reloads++;
      this.failedRevision = -1;
      this.retries = 0;
    } catch (err) {
      this.db.reloadErrors++;
      this.retries = revision === this.failedRevision ? this.retries + 1 : 0;
      this.failedRevision = revision;
      this.retryAt = Date.now() + Math.min(60_000, 1000 * 2 ** this.retries);
      this.deps.log.failure('config', 'reloading the configuration failed: what could not be applied stays as it was; retrying with backoff', err, { revision, retry_in_ms: this.retryAt - Date.now() });
    }
  }

  private lost(err: unknown): void {
    this.failures++;
    const reason = (err as Error)?.message ?? String(err);
    if (!this.db.up) return;
    this.db.up = false;
    this.db.since = Date.now();
    this.db.lastError = reason;
    this.deps.status({ kind: 'db_unreachable', reason, since: this.db.since });
    this.deps.log.error('config', 'the configuration database is unreachable: ticks keep flowing on the last applied configuration; retrying with backoff', { reason }, 'MDH_ERR_DB_UNREACHABLE');
    this.deps.onDatabase?.({ up: false, reason });
  }

  private recovered(): void {
    const downMs = Date.now() - this.db.since;
    this.db.up = true;
    this.db.since = Date.now();
    this.db.lastError = null;
    this.deps.status({ kind: 'db_recovered', down_ms: downMs });
    this.deps.log.info('config', 'the configuration database is reachable again', { down_ms: downMs });
    this.deps.onDatabase?.({ up: true, downMs });
  }

  /**
   * Applies the difference between what runs and `next`: gateways against the supervisor's own specs (so a
   * reload that fails halfway is not repeated on the gateways it already changed), then the groups and the
   * cleansing stage, each replaced only when it changed and kept when replacing it fails.
   */
  async apply(nextRaw: RuntimeConfig): Promise<void> {
    const next = this.filtered(nextRaw);
    const { supervisor, dataplane } = this.deps;
    const after = new Map(next.gateways.map((g) => [g.id, g]));
    const keep = next.skipped.filter((x) => KEEP_RUNNING.has(x.code) && supervisor.spec(x.id) !== undefined).map((x) => x.id);
    const started: string[] = [];
    const stopped: string[] = [];
    const restarted: string[] = [];
    for (const id of supervisor.ids()) {
      if (!after.has(id) && !keep.includes(id)) {
        await supervisor.remove(id);
        stopped.push(id);
      }
    }
    for (const [id, g] of after) {
      const spec = supervisor.spec(id);
      if (!spec) {
        await supervisor.add(specOf(g));
        started.push(id);
      } else if (spec.fingerprint !== g.fingerprint) {
        await supervisor.replace(specOf(g));
        restarted.push(id);
      }
    }
    for (const id of keep) this.deps.log.warn('config', `gateway ${id} keeps running on its last configuration: the new one cannot be read here`, { gateway: id, code: next.skipped.find((x) => x.id === id)?.code });
    this.applied = next;
    const groupsChanged = !same(this.groups, next.groups);
    if (groupsChanged) {
      await dataplane.setGroups(next.groups);
      if (!same(this.groups?.map((g) => [g.name, g.canaries]), next.groups.map((g) => [g.name, g.canaries]))) {
        dataplane.setCanaries(next.groups.map((g) => ({ group: g.name, canaries: g.canaries })));
      }
      this.groups = next.groups;
    }
    if (!same(this.health, next.health)) {
      this.health = next.health;
      this.deps.onHealthSettings?.(next.health);
    }
    if (!same(this.alerts, next.alerts)) {
      this.alerts = next.alerts;
      this.deps.onAlertSettings?.(next.alerts);
    }
    if (!same(this.healthChecks, next.healthChecks)) {
      this.healthChecks = next.healthChecks;
      await this.deps.onHealthChecks?.(next.healthChecks);
    }
    const cleansingChanged = !same(this.cleansing, next.cleansing);
    if (cleansingChanged) {
      await dataplane.setCleansing(next.cleansing);
      this.cleansing = next.cleansing;
    }
    this.deps.status({
      kind: 'config_applied', revision: next.revision, started, stopped, restarted, kept: keep, groups: groupsChanged, cleansing: cleansingChanged,
      skipped: next.skipped.map((x) => ({ id: x.id, code: x.code })),
    });
    this.deps.log.info('config', `configuration revision ${next.revision} applied`, { started, stopped, restarted, kept: keep, groups: groupsChanged, cleansing: cleansingChanged });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.busy.catch(() => {});
  }
}
