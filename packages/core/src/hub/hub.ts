/**
 * A running hub (control plane), as the composition root assembled it: its health, what the control
 * socket answers, the periodic counters on the status topic, and the orderly stop (the reverse of the
 * start). When the data plane dies or falls silent, `/healthz` turns 503 at once and the hub exits
 * non-zero within seconds, so its service manager starts a new run.
 */
import type { HubConfig } from '../config.js';
import type { DataPlaneStats } from '../dataplane/dataplane.js';
import type { DataPlaneHandle } from '../dataplane/handle.js';
import type { Supervisor } from '../gateway/supervisor.js';
import type { Clock } from '../market/types.js';
import type { Actor, ConfigService } from '../service/config-service.js';
import type { ControlHandler } from './control.js';
import { healthReport } from './health.js';
import type { HealthReport } from './health.js';
import type { AlertHook } from './alerts.js';
import type { HealthMonitor } from './source-health.js';
import type { Logger } from './logger.js';
import type { Reconciler } from './reconciler.js';
import type { ReadyInfo, RunFiles } from './run-files.js';

export interface HubDeps {
  settings: HubConfig;
  runId: string;
  log: Logger;
  files: RunFiles;
  service: ConfigService;
  dataplane: DataPlaneHandle;
  supervisor: Supervisor;
  reconciler: Reconciler;
  clock: Clock;
  status: (ev: { kind: string; [k: string]: unknown }) => void;
  healthMonitor?: HealthMonitor;
  alerts?: AlertHook;
  onFatal?: (reason: string) => void;
  /** Period of the data plane's liveness ping, and how long an answer may take, ms. */
  pingMs?: number;
  pingTimeoutMs?: number;
}

interface Stopper {
  unwind(log?: Logger): Promise<void>;
}

export class Hub {
  readonly settings: HubConfig;
  readonly runId: string;
  readonly log: Logger;
  readonly service: ConfigService;
  readonly dataplane: DataPlaneHandle;
  readonly supervisor: Supervisor;
  readonly reconciler: Reconciler;
  readonly clock: Clock;
  ready!: ReadyInfo;
  private stack: Stopper | null = null;
  private countersTimer: NodeJS.Timeout | null = null;
  private pingTimer: NodeJS.Timeout | null = null;
  private dead: string | null = null;
  private stopping: Promise<void> | null = null;

  constructor(private readonly deps: HubDeps) {
    this.settings = deps.settings;
    this.runId = deps.runId;
    this.log = deps.log;
    this.service = deps.service;
    this.dataplane = deps.dataplane;
    this.supervisor = deps.supervisor;
    this.reconciler = deps.reconciler;
    this.clock = deps.clock;
  }

  /** @internal the composition root hands over what it started (stopped in reverse by {@link stop}). */
  started(ready: ReadyInfo, stack: Stopper): void {
    this.ready = ready;
    this.stack = stack;
    this.startCounters();
    this.watchDataPlane();
    this.watchState();
    this.recordSimClock();
  }

  private stateTimer: NodeJS.Timeout | null = null;
  private simClockTimer: NodeJS.Timeout | null = null;

  /** A simulated hub records its market time (every 5 s and at stop), so its next run resumes there. */
  private recordSimClock(): void {
    if (!this.clock.simulated) return;
    this.deps.files.writeSimClock(this.clock.now());
    this.simClockTimer ??= setInterval(() => this.deps.files.writeSimClock(this.clock.now()), 5000);
    this.simClockTimer.unref();
  }

  /** The heartbeat says `running` or `degraded` (from /healthz's status), checked every second. */
  private watchState(): void {
    const apply = (): void => {
      if (this.stopping !== null || this.dead !== null) return;
      this.dataplane.setHubState(this.health().status === 'ok' ? 'running' : 'degraded');
    };
    apply();
    this.stateTimer = setInterval(apply, 1000);
    this.stateTimer.unref();
  }

  /** Current data-plane counters (seq, per-source wins/duplicates/drops, rejections, queue depth). */
  stats(): Promise<DataPlaneStats> {
    return this.dataplane.stats();
  }

  health(): HealthReport {
    return healthReport({
      hubId: this.settings.hubId, runId: this.runId, simulated: this.clock.simulated,
      dataplane: { alive: this.dead === null && this.dataplane.alive, reason: this.dead },
      pubBound: this.dataplane.endpoints.pub !== '', db: this.reconciler.db, sources: this.supervisor.info(),
      skipped: (this.reconciler.current?.skipped ?? []).map((s) => ({ id: s.id, code: s.code })),
      bad: (this.reconciler.current?.bad ?? []).map((b) => ({ table: b.table, key: b.key })),
      ...(this.deps.healthMonitor ? { health: { sources: this.deps.healthMonitor.views(), ...this.deps.healthMonitor.groupTrouble() } } : {}),
    });
  }

  /** The alert hook: health events above a severity (the operations issue connects email to it). */
  get alerts(): AlertHook | undefined {
    return this.deps.alerts;
  }

  /** The data plane died or fell silent: 503 at once, then stop and let the service manager restart the hub. */
  fatal(reason: string): void {
    if (this.dead !== null) return;
    this.dead = reason;
    this.dataplane.abandon();
    this.log.error('hub', `${reason}: the hub exits so that its service manager starts a new run`, { reason }, 'MDH_ERR_DATAPLANE_DEAD');
    const onFatal = this.deps.onFatal ?? ((): void => {
      // Give /healthz a moment to answer 503, then stop the gateways and release the data folder, and go.
      // A worker that died lets the process exit with code 70. One hung in its own code still holds its
      // ZeroMQ sockets, and tearing those down aborts the process (SIGABRT, a core file): it ends with
      // SIGKILL instead (exit status 137 in a shell or Docker), which service managers restart as well.
      const exit = (): never => (this.dataplane.alive ? process.kill(process.pid, 'SIGKILL') : process.exit(70)) as never;
      setTimeout(exit, 1800); // at the latest: the silence was detected within 2.5 s, so the hub is gone within 5 s
      setTimeout(() => {
        // Children get half a second to stop (they die with the hub anyway: PR_SET_PDEATHSIG).
        void this.supervisor.stop(500).then(() => this.stop()).finally(() => void this.log.flush(300).finally(exit));
      }, 300);
    });
    onFatal(reason);
  }

  /** Pings the data plane every 500 ms: no answer within 2 s is a silent (hung) data plane. */
  private watchDataPlane(): void {
    const every = this.deps.pingMs ?? 500;
    const timeout = this.deps.pingTimeoutMs ?? 2000;
    let inFlight = false;
    this.pingTimer = setInterval(() => {
      if (inFlight || this.dead !== null || !this.dataplane.alive) return;
      inFlight = true;
      this.dataplane.ping(timeout).then(
        () => { inFlight = false; },
        (err: unknown) => {
          inFlight = false;
          if (this.stopping === null && this.dataplane.alive) this.fatal(`the data-plane worker did not answer for ${timeout} ms (${(err as Error).message})`);
        },
      );
    }, every);
    this.pingTimer.unref();
  }

  /** Periodic counters on the status topic (rejections per rule × source × group, wins, drops). */
  private startCounters(everyMs = 5000): void {
    this.countersTimer = setInterval(() => {
      this.stats().then((s) => {
        this.deps.status({
          kind: 'counters', seq: s.seq, instruments: s.instruments, sources: s.sources, publish_dropped: s.publishDropped,
          rejections: s.cleansing?.rejections ?? [], filter_errors: s.cleansing?.filterErrors ?? [],
          quality: s.quality, takeovers: s.takeovers, states_replaced: s.statesReplaced,
          health: Object.fromEntries((this.deps.healthMonitor?.views() ?? []).map((h) => [h.id, h.health])),
        });
      }, () => {});
    }, everyMs);
    this.countersTimer.unref();
  }

  /** What the local control socket answers (`mdhub stop`, `mdhub gateway …`, `mdhub status`). */
  controlHandlers(): Record<string, ControlHandler> {
    const actor = (a: Record<string, unknown>): Actor => ({ name: typeof a['actor'] === 'string' ? a['actor'] : 'control-socket', hubId: this.settings.hubId });
    const id = (a: Record<string, unknown>): string => {
      if (typeof a['id'] !== 'string') throw new Error('args.id: a gateway id');
      return a['id'];
    };
    const act = async (a: Record<string, unknown>, action: string, fn: (gid: string) => Promise<void>): Promise<unknown> => {
      const gid = id(a);
      await fn(gid);
      await this.service.recordAction(actor(a), action, gid, { hub: this.settings.hubId }).catch(() => {});
      this.log.info('control', `${action} ${gid}`, { by: actor(a).name });
      return this.supervisor.info().find((g) => g.id === gid) ?? null;
    };
    return {
      status: () => ({ ready: this.ready, health: this.health() }),
      stop: (a) => {
        this.log.info('hub', 'stopping (control socket)', { by: actor(a).name });
        setImmediate(() => void this.stop().then(() => this.log.flush().then(() => process.exit(0)), () => process.exit(1)));
        return { stopping: true, pid: process.pid };
      },
      'gateway.stop': (a) => act(a, 'gateway.stop', (g) => this.supervisor.stopByAdmin(g)),
      'gateway.start': (a) => act(a, 'gateway.start', (g) => this.supervisor.startByAdmin(g)),
      'gateway.restart': (a) => act(a, 'gateway.restart', (g) => this.supervisor.restartByAdmin(g)),
      'gateway.control': async (a) => {
        const cmd = a['cmd'];
        if (typeof cmd !== 'object' || cmd === null || typeof (cmd as { op?: unknown }).op !== 'string') throw new Error('args.cmd: an object with an op');
        const result = await this.supervisor.control(id(a), cmd as { op: string });
        await this.service.recordAction(actor(a), 'gateway.control', id(a), { op: (cmd as { op: string }).op }).catch(() => {});
        return result;
      },
      reload: async () => {
        await this.reconciler.poll();
        return { revision: this.reconciler.db.revision };
      },
      // Test hook (used by the end-to-end suite): makes the data plane exit or hang.
      'dataplane.fault': (a) => {
        const op = a['op'] === 'hang' ? 'hang' : 'exit';
        this.dataplane.fault(op);
        return { injected: op };
      },
    };
  }

  /** Stops everything the hub started, in the reverse order (gateways gracefully, then SIGKILL). */
  stop(): Promise<void> {
    if (this.stopping) return this.stopping;
    if (this.countersTimer) clearInterval(this.countersTimer);
    if (this.pingTimer) clearInterval(this.pingTimer);
    if (this.stateTimer) clearInterval(this.stateTimer);
    if (this.simClockTimer) {
      clearInterval(this.simClockTimer);
      this.deps.files.writeSimClock(this.clock.now());
    }
    if (this.dead === null) this.dataplane.setHubState('stopping');
    if (this.dead === null) this.deps.status({ kind: 'hub_stopping' });
    this.stopping = (this.stack?.unwind(this.log) ?? Promise.resolve());
    return this.stopping;
  }
}
