/**
 * Source health: one verdict per gateway instance from its process (the supervisor), its connection
 * state (the gateway), its data (the data plane's canary watch) and health-check plugins, with two
 * speeds. A source that stops feeding well is taken out of the race at once (milliseconds after the data
 * plane's report); a hard restart needs the fault confirmed for seconds, and restarts one source per
 * group at a time. A recovered source rejoins after a hold-down. Silence on every source of a group
 * inside a session is the market or the whole feed: one critical event, no restarts.
 *
 * Health values (docs/health.md): `ok` and `degraded` feed; `stale`, `restarting`, `dead` and
 * `circuit_open` do not (failover); `stopped` is an admin's stop, not a fault.
 */
import type { SourceFacts } from '../gateway/supervisor.js';
import type { SourceWatchReport, WatchReport } from '../dataplane/watch.js';

export type SourceHealthValue = 'ok' | 'degraded' | 'stale' | 'restarting' | 'dead' | 'circuit_open' | 'stopped';

export const FEEDING: ReadonlySet<SourceHealthValue> = new Set(['ok', 'degraded']);

/** Thresholds (the `health` setting; docs/health.md explains each). */
export interface HealthSettings {
  /** Behind the newest state another source delivered of a canary for this long: stale at once (ms). */
  canaryLagMs: number;
  /** A recovered source feeds again after this long without a fault, when another source feeds meanwhile (ms). */
  holdDownMs: number;
  /** A stale source that delivers nothing while other sources deliver, or a dead one, is hard-restarted after this long (ms). */
  confirmMs: number;
  /** A source that lost its front (the vendor API reconnects by itself) is hard-restarted after this long (ms). */
  disconnectedRestartMs: number;
  /** A process not subscribed this long after it started is hard-restarted (ms). */
  startTimeoutMs: number;
  /** No answer on the control channel for this long: dead (ms). */
  deadAfterMs: number;
  /** Subscribed, yet no data at all for this long while other sources deliver: stale (ms). */
  noDataMs: number;
  /** Canaries silent on every source of a group inside a session for this long: one critical event (ms). */
  groupSilentMs: number;
  /** Lag behind the race winner, p99 over the last minute, above which a feeding source is degraded (ms). */
  degradedLagMs: number;
  /** |clock offset| (localtime − datetime, p50) above which a feeding source is degraded (ms). */
  clockOffsetMs: number;
  /** A restart that has not reached ok after this long frees its group's restart slot (ms). */
  restartSlotMs: number;
}

export const DEFAULT_HEALTH: HealthSettings = {
  canaryLagMs: 300, holdDownMs: 3000, confirmMs: 5000, disconnectedRestartMs: 15_000, startTimeoutMs: 60_000, deadAfterMs: 3000,
  noDataMs: 10_000, groupSilentMs: 30_000, degradedLagMs: 500, clockOffsetMs: 5000, restartSlotMs: 60_000,
};

/** What a health-check plugin (or a test) says of a source; `ok` or undefined says nothing. */
export interface CheckVerdict {
  health: 'ok' | 'degraded' | 'stale';
  reason: string;
}

/** A group as the monitor sees it: its sources in this hub (every source when the list is empty). */
export interface HealthGroup {
  name: string;
  sources: readonly string[];
}

export interface SourceQualityFacts {
  lag_p99_ms: number | null;
  clock_offset_p50_ms: number | null;
}

export interface AlertEvent {
  severity: 'info' | 'warning' | 'critical';
  /** What happened: `source_stale`, `source_dead`, `source_restart`, `source_circuit_open`, `source_recovered`, `group_down`, `group_silent` … */
  alert: string;
  source?: string;
  group?: string;
  message: string;
  code?: string;
}

export interface HealthMonitorOptions {
  settings: HealthSettings;
  facts(): SourceFacts[];
  groups(): HealthGroup[];
  /** Whether a group is inside a trading session of its canaries now (market clock). */
  inSession(group: string): boolean;
  /** Feeds or stops feeding a source in the data plane. */
  setFeeding(id: string, feeding: boolean): void;
  /** Hard restart (SIGKILL; the supervisor restarts with backoff). */
  kill(id: string, reason: string): void;
  /** The current process reached healthy (the breaker counts only restarts that never did). */
  noteHealthy(id: string): void;
  event(ev: { kind: string; [k: string]: unknown }): void;
  alert(a: AlertEvent): void;
  /** Monotonic ms. */
  now(): number;
  quality?(id: string): SourceQualityFacts | undefined;
  checks?(id: string): CheckVerdict[];
}

/** Why a source does not feed, for the restart rule. */
type Fault = 'canary' | 'no_data' | 'disconnected' | 'dead' | 'starting' | 'check' | null;

interface Judgement {
  health: SourceHealthValue;
  reason: string;
  fault: Fault;
}

interface SourceRec {
  id: string;
  health: SourceHealthValue;
  reason: string;
  since: number;
  feeding: boolean;
  everFed: boolean;
  /** When the current non-feeding fault began (0: none). */
  badSince: number;
  /** When the source last turned good (for the hold-down; 0: not good). */
  goodSince: number;
  killed: boolean;
  /** The fault the current reason is about (a new reason of the same fault is no new event). */
  fault: Fault;
  /** The supervisor's restart count when this record last saw the process (a change: a new process). */
  proc: number;
  /** A fault alert went out and no recovery yet (its recovery is announced even from `restarting`). */
  alerted: boolean;
}

export interface SourceHealthView {
  id: string;
  health: SourceHealthValue;
  reason: string;
  since_ms: number;
  feeding: boolean;
}

/**
 * The health monitor. Call {@link evaluate} on a timer (every 100–250 ms) and whenever something changed
 * (a watch report, a gateway state change); it is cheap.
 */
export class HealthMonitor {
  private readonly recs = new Map<string, SourceRec>();
  private watch: WatchReport = { sources: {}, groups: {} };
  /** One hard restart per group at a time: group → the source restarting and since when. */
  private readonly slots = new Map<string, { source: string; since: number }>();
  private readonly silentGroups = new Set<string>();
  private readonly downGroups = new Set<string>();

  private timer: NodeJS.Timeout | null = null;
  private startedAt = 0;
  /** After stop (the hub stops its sources): nothing is judged any more. */
  private stopped = false;
  /** Groups fed at least once in this run (a group is judged down only after that, or after the start timeout). */
  private readonly fedGroups = new Set<string>();
  private readonly restarts: Record<string, number> = {};
  private readonly breakers: Record<string, number> = {};

  constructor(private readonly o: HealthMonitorOptions) {}

  /** Evaluates every `everyMs` (default 100 ms) until {@link stop}. */
  start(everyMs = 100): void {
    this.startedAt = this.o.now();
    this.stopped = false;
    this.timer ??= setInterval(() => this.evaluate(), everyMs);
    this.timer.unref?.();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** New thresholds (a configuration change). */
  configure(settings: HealthSettings): void {
    this.o.settings = settings;
  }

  breakerOpened(id: string): void {
    this.breakers[id] = (this.breakers[id] ?? 0) + 1;
  }

  /** Hard restarts decided and breaker openings, per source (for /metrics). */
  counters(): { restarts: Record<string, number>; breakerOpened: Record<string, number> } {
    return { restarts: { ...this.restarts }, breakerOpened: { ...this.breakers } };
  }

  /** The data plane's latest report (evaluates at once: a canary that fell behind stops feeding now). */
  onWatch(r: WatchReport): void {
    this.watch = r;
    this.evaluate();
  }

  /** The data plane's latest report. */
  lastWatch(): WatchReport {
    return this.watch;
  }

  views(): SourceHealthView[] {
    const now = this.o.now();
    return [...this.recs.values()].map((r) => ({ id: r.id, health: r.health, reason: r.reason, since_ms: Math.round(now - r.since), feeding: r.feeding }));
  }

  view(id: string): SourceHealthView | undefined {
    return this.views().find((v) => v.id === id);
  }

  /** Groups inside their session with no feeding source (for /healthz), and groups silent on every source. */
  groupTrouble(): { down: string[]; silent: string[] } {
    return { down: [...this.downGroups], silent: [...this.silentGroups] };
  }

  /** When evaluate last ran (monotonic ms). */
  private lastEval = 0;

  evaluate(): void {
    if (this.stopped) return;
    const now = this.o.now();
    // Time the hub itself did not run (SIGSTOP, a paused VM) is nobody's fault: every confirmation and
    // hold-down waits that much longer, so a stall never turns into restarts.
    const gap = this.lastEval > 0 ? now - this.lastEval : 0;
    this.lastEval = now;
    if (gap > 1500) {
      for (const r of this.recs.values()) {
        if (r.badSince !== 0) r.badSince += gap;
        if (r.goodSince !== 0) r.goodSince += gap;
      }
      for (const slot of this.slots.values()) slot.since += gap;
    }
    const facts = this.o.facts();
    const groups = this.o.groups();
    const ids = new Set(facts.map((f) => f.id));
    for (const id of [...this.recs.keys()]) if (!ids.has(id)) this.recs.delete(id);
    const groupsOf = (id: string): HealthGroup[] => groups.filter((g) => g.sources.length === 0 || g.sources.includes(id));
    const membersOf = (g: HealthGroup): string[] => (g.sources.length === 0 ? [...ids] : g.sources.filter((s) => ids.has(s)));

    this.checkSilence(groups);
    for (const [g, slot] of this.slots) {
      const r = this.recs.get(slot.source);
      if (!r || r.health === 'ok' || r.health === 'stopped' || now - slot.since > this.o.settings.restartSlotMs) this.slots.delete(g);
    }

    for (const f of facts) {
      let r = this.recs.get(f.id);
      if (!r) {
        r = { id: f.id, health: 'restarting', reason: 'starting', since: now, feeding: false, everFed: false, badSince: 0, goodSince: 0, killed: false, fault: null, proc: f.restarts, alerted: false };
        this.recs.set(f.id, r);
      }
      if (f.restarts !== r.proc) {
        // A new process: its faults are judged afresh (a confirmation never carries over a restart).
        // One this monitor did not kill ended by itself (a crash): the supervisor restarts it; say so.
        if (!r.killed && f.breaker !== 'open') this.restartAlert(r, `source ${r.id} ended by itself${f.reason ? ` (${f.reason})` : ''}: the supervisor restarts it`);
        r.proc = f.restarts;
        r.killed = false;
        if (r.badSince !== 0) r.badSince = now;
      }
      const mine = groupsOf(f.id);
      const silent = mine.some((g) => this.silentGroups.has(g.name));
      const othersDeliver = mine.some((g) => membersOf(g).some((s) => s !== f.id && (this.watch.sources[s]?.data_age_ms ?? Infinity) < Math.min(1000, this.o.settings.confirmMs / 2)));
      const j = this.judge(f, this.watch.sources[f.id], silent, othersDeliver);
      this.apply(r, f, j, now, mine, membersOf);
      this.maybeRestart(r, f, j, now, mine, othersDeliver, silent);
    }

    // Groups inside their session with no feeding source: critical, and /healthz says down.
    for (const g of groups) {
      const feeding = membersOf(g).some((s) => this.recs.get(s)?.feeding === true);
      if (feeding) this.fedGroups.add(g.name);
      // At start the sources are still logging in: a group is judged once it was fed, or after the start timeout.
      const judged = this.fedGroups.has(g.name) || now - this.startedAt > this.o.settings.startTimeoutMs;
      const down = !feeding && judged && this.o.inSession(g.name);
      if (down && !this.downGroups.has(g.name)) {
        this.downGroups.add(g.name);
        this.o.event({ kind: 'group_down', group: g.name });
        this.o.alert({ severity: 'critical', alert: 'group_down', group: g.name, code: 'MDH_ERR_GROUP_NO_SOURCE', message: `group ${g.name} has no healthy source inside its trading session` });
      } else if (!down && this.downGroups.has(g.name)) {
        this.downGroups.delete(g.name);
        this.o.event({ kind: 'group_recovered', group: g.name, feeding });
        this.o.alert({ severity: 'info', alert: 'group_recovered', group: g.name, message: `group ${g.name} is fed again` });
      }
    }
  }

  /** Canaries silent on every source inside the session: one critical event per group, and its end. */
  private checkSilence(groups: HealthGroup[]): void {
    for (const g of groups) {
      const w = this.watch.groups[g.name];
      const silent = w !== undefined && w.canary_silent_ms !== null && w.canary_silent_ms > this.o.settings.groupSilentMs && this.o.inSession(g.name);
      if (silent && !this.silentGroups.has(g.name)) {
        this.silentGroups.add(g.name);
        this.o.event({ kind: 'group_silent', group: g.name, silent_ms: w!.canary_silent_ms, canaries: w!.canaries });
        this.o.alert({ severity: 'critical', alert: 'group_silent', group: g.name, code: 'MDH_ERR_GROUP_SILENT', message: `every source of group ${g.name} is silent on its canaries (${w!.canaries.join(', ')}) for ${Math.round(w!.canary_silent_ms! / 1000)} s inside the session: the market or the whole feed (no restarts)` });
      } else if (!silent && this.silentGroups.has(g.name) && (w?.canary_silent_ms ?? 0) < this.o.settings.groupSilentMs) {
        this.silentGroups.delete(g.name);
        this.o.event({ kind: 'group_ticking', group: g.name });
        this.o.alert({ severity: 'info', alert: 'group_ticking', group: g.name, message: `group ${g.name} ticks again` });
      }
    }
  }

  /** The health the facts say, before the hold-down. */
  private judge(f: SourceFacts, w: SourceWatchReport | undefined, silent: boolean, othersDeliver: boolean): Judgement {
    const s = this.o.settings;
    if (f.stoppedByAdmin) return { health: 'stopped', reason: 'stopped_by_admin', fault: null };
    if (f.breaker === 'open') return { health: 'circuit_open', reason: 'restarts never reached healthy: circuit breaker open', fault: null };
    if (f.failed) return { health: 'dead', reason: `failed: ${f.failed} (not retried)`, fault: null };
    if (!f.running) return { health: 'restarting', reason: f.reason ? `process ended (${f.reason}); restarting` : 'process ended; restarting', fault: null };
    if (f.silentMs > s.deadAfterMs) return { health: 'dead', reason: `no answer on the control channel for ${Math.round(f.silentMs / 1000)} s (hung or stopped)`, fault: 'dead' };
    if (f.unhealthy) return { health: 'dead', reason: `unhealthy: ${f.unhealthy}`, fault: null };
    if (f.state !== 'subscribed') {
      if (f.state === 'disconnected') return { health: 'stale', reason: `disconnected${f.reason ? `: ${f.reason}` : ''}`, fault: 'disconnected' };
      // Stopping on purpose (a reconfiguration, an admin, the hub): not a fault.
      if (f.state === 'stopped') return { health: 'restarting', reason: `stopped${f.reason ? ` (${f.reason})` : ''}`, fault: null };
      // A process that was subscribed and is logging in again is reconnecting (the disconnect allowance),
      // not starting (the start timeout counts from the process's start).
      if (f.wasSubscribed) return { health: 'stale', reason: `reconnecting: ${f.state}${f.reason ? ` (${f.reason})` : ''}`, fault: 'disconnected' };
      return { health: 'restarting', reason: `starting: ${f.state}${f.reason ? ` (${f.reason})` : ''}`, fault: 'starting' };
    }
    const checks = this.o.checks?.(f.id) ?? [];
    const staleCheck = checks.find((c) => c.health === 'stale');
    if (staleCheck) return { health: 'stale', reason: staleCheck.reason, fault: 'check' };
    if (!silent && w) {
      if (w.behind_ms > s.canaryLagMs) return { health: 'stale', reason: `canary ${w.canary}: ${w.behind_ms} ms behind another source`, fault: 'canary' };
      const age = w.data_age_ms ?? Infinity;
      if (age > s.noDataMs && f.upMs > s.noDataMs && othersDeliver) return { health: 'stale', reason: `no data ${Number.isFinite(age) ? `for ${Math.round(age / 1000)} s` : 'since its process started'} while other sources deliver`, fault: 'no_data' };
    }
    const degraded: string[] = [];
    if (silent) degraded.push('canaries silent on every source of its group');
    for (const c of checks) if (c.health === 'degraded') degraded.push(c.reason);
    const q = this.o.quality ? this.o.quality(f.id) : this.watch.quality?.[f.id];
    if (q?.lag_p99_ms != null && q.lag_p99_ms > s.degradedLagMs) degraded.push(`lag behind the winner p99 ${q.lag_p99_ms} ms`);
    if (q?.clock_offset_p50_ms != null && Math.abs(q.clock_offset_p50_ms) > s.clockOffsetMs) degraded.push(`clock offset ${q.clock_offset_p50_ms} ms`);
    if (degraded.length > 0) return { health: 'degraded', reason: degraded.join('; '), fault: null };
    return { health: 'ok', reason: 'feeding', fault: null };
  }

  private apply(r: SourceRec, f: SourceFacts, j: Judgement, now: number, mine: HealthGroup[], membersOf: (g: HealthGroup) => string[]): void {
    const good = FEEDING.has(j.health);
    let health = j.health;
    let reason = j.reason;
    if (good) {
      r.badSince = 0;
      if (r.goodSince === 0) r.goodSince = now;
      if (!r.feeding && r.everFed) {
        // Hold-down: a source that fed, failed and recovered waits before it competes again (no flapping),
        // but only while other feeding sources cover what it covers: in every one of its groups another
        // source feeds, and together they deliver every exchange this one delivered. Otherwise it rejoins
        // at once (holding it down would leave instruments unpublished).
        const mineEx = this.watch.sources[r.id]?.exchanges ?? [];
        const othersFeed = mine.length > 0 && mine.every((g) => {
          const others = membersOf(g).filter((s) => s !== r.id && this.recs.get(s)?.feeding === true);
          if (others.length === 0) return false;
          const theirs = new Set(others.flatMap((s) => this.watch.sources[s]?.exchanges ?? []));
          return mineEx.every((x) => theirs.has(x));
        });
        const left = this.o.settings.holdDownMs - (now - r.goodSince);
        if (othersFeed && left > 0) {
          health = 'stale';
          reason = `recovered; rejoins after the hold-down (${Math.ceil(left / 100) / 10} s)`;
        }
      }
    } else {
      r.goodSince = 0;
      if (r.badSince === 0) r.badSince = now;
    }
    const feeding = FEEDING.has(health);
    if (feeding !== r.feeding) {
      r.feeding = feeding;
      if (feeding) r.everFed = true;
      this.o.setFeeding(r.id, feeding);
    }
    if (health === 'ok' && f.running) {
      this.o.noteHealthy(r.id);
      r.killed = false;
    }
    // Every change of health is an event; a new reason without one only for a source out of the race
    // (stale or dead for another cause), not for each step of a start or each tick of the hold-down.
    const fault = reason.startsWith('recovered; rejoins') ? r.fault : j.fault;
    const newReason = fault !== r.fault && (health === 'stale' || health === 'dead');
    r.reason = reason;
    if (health !== r.health || newReason) {
      const previous = r.health;
      const changed = health !== r.health;
      r.health = health;
      r.fault = fault;
      if (changed) r.since = now;
      this.o.event({ kind: 'source_health', source: r.id, health, previous, reason, feeding });
      if (changed) this.alertFor(r.id, previous, health, reason);
    }
  }

  private restartAlert(r: SourceRec, message: string): void {
    r.alerted = true;
    this.o.alert({ severity: 'warning', alert: 'source_restart', source: r.id, message });
  }

  private alertFor(id: string, previous: SourceHealthValue, health: SourceHealthValue, reason: string): void {
    const r = this.recs.get(id);
    if (r && (health === 'circuit_open' || health === 'dead' || (health === 'stale' && !reason.startsWith('recovered')))) r.alerted = true;
    if (r && FEEDING.has(health) && !FEEDING.has(previous) && previous === 'restarting' && r.alerted) {
      // Back from a restart that followed a fault alert: the recovery closes that incident.
      r.alerted = false;
      this.o.alert({ severity: 'info', alert: 'source_recovered', source: id, message: `source ${id} feeds again (${health}) after a restart` });
      return;
    }
    if (r && FEEDING.has(health)) r.alerted = false;
    if (health === 'circuit_open') this.o.alert({ severity: 'critical', alert: 'source_circuit_open', source: id, code: 'MDH_ERR_GATEWAY_CIRCUIT_OPEN', message: `source ${id}: ${reason}` });
    else if (health === 'dead') this.o.alert({ severity: 'warning', alert: 'source_dead', source: id, code: 'MDH_ERR_SOURCE_DEAD', message: `source ${id} is dead: ${reason}` });
    else if (health === 'stale' && !reason.startsWith('recovered')) this.o.alert({ severity: 'warning', alert: 'source_stale', source: id, code: 'MDH_ERR_SOURCE_STALE', message: `source ${id} is stale: ${reason}` });
    else if (FEEDING.has(health) && !FEEDING.has(previous) && previous !== 'restarting') this.o.alert({ severity: 'info', alert: 'source_recovered', source: id, message: `source ${id} feeds again (${health})` });
  }

  /** The slow speed: a confirmed fault gets a hard restart, one source per group at a time. */
  private maybeRestart(r: SourceRec, f: SourceFacts, j: Judgement, now: number, mine: HealthGroup[], othersDeliver: boolean, silent: boolean): void {
    if (r.killed || !f.running || r.badSince === 0 || j.fault === null) return;
    const s = this.o.settings;
    const age = now - r.badSince;
    const w = this.watch.sources[r.id];
    let due = false;
    switch (j.fault) {
      case 'dead':
        due = f.silentMs > s.deadAfterMs + s.confirmMs || age >= s.confirmMs;
        break;
      case 'canary':
      case 'no_data':
      case 'check':
        // Only a source that delivers nothing while others deliver: a lagging source (at the open, say)
        // catches up by itself and must not be killed into a login storm; at a break everyone is silent.
        due = age >= s.confirmMs && !silent && othersDeliver && (w?.data_age_ms ?? Infinity) >= s.confirmMs;
        break;
      case 'disconnected':
        due = age >= s.disconnectedRestartMs;
        break;
      case 'starting':
        due = f.upMs >= s.startTimeoutMs;
        break;
    }
    if (!due) return;
    for (const g of mine) {
      const slot = this.slots.get(g.name);
      if (slot && slot.source !== r.id) return; // another source of the group is restarting: wait
    }
    for (const g of mine) this.slots.set(g.name, { source: r.id, since: now });
    r.killed = true;
    this.restarts[r.id] = (this.restarts[r.id] ?? 0) + 1;
    this.o.event({ kind: 'source_restart', source: r.id, reason: j.reason, fault: j.fault, confirmed_ms: Math.round(age) });
    this.restartAlert(r, `source ${r.id} is hard-restarted: ${j.reason}`);
    this.o.kill(r.id, `${j.fault}: ${j.reason}`);
  }
}
