import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LogLevel, LogRecord } from '@mdhub/protocol';
import { MdhubError } from '../errors.js';
import type { ClockParams } from '../market/types.js';
import type { GatewayState, InstrumentRef } from '../plugin/manifest.js';
import type { FromGateway, ToGateway } from './messages.js';
import type { GatewayContextData } from '../plugin/scope.js';

export interface GatewaySpec {
  id: string;
  plugin: string;
  /** The configuration the child receives over IPC (account fields and secrets merged in). Never logged. */
  config: unknown;
  /** Identifies what the child receives: a change restarts the instance (live reconfiguration). */
  fingerprint?: string;
}

export interface SupervisorOptions {
  hubId: string;
  runId: string;
  clock: ClockParams;
  /** Binds the data link of a gateway in the data plane; returns the endpoint the child connects to. */
  linkEndpoint(id: string): Promise<string>;
  onHealth(id: string, healthy: boolean): void;
  onEvent(ev: { kind: string; [k: string]: unknown }): void;
  onLog(rec: LogRecord): void;
  onPids?(pids: number[]): void;
  /** A gateway reported the instruments it subscribes to (the data plane prepares their state). */
  onInstruments?(id: string, list: InstrumentRef[]): void;
  /** The hub's data folder: each instance gets `<dataDir>/gateways/<id>/` (default: a folder under the system temp dir). */
  dataDir?: string;
  /** Backoff before restart attempt n (1-based). Default: 250 ms × 2^(n-1), capped at 30 s, ±20 % jitter. */
  retryDelayMs?(attempt: number): number;
  /**
   * How long a process must stay subscribed before its restart backoff starts over (default 30 s): a
   * source killed again and again soon after it subscribes backs off further each time (with real fronts
   * anything else is a login storm).
   */
  healthyHoldMs?: number;
  /**
   * Circuit breaker: after this many restarts in a row whose process never reached healthy (see
   * {@link Supervisor.noteHealthy}), the instance is not restarted (default 5); after `breakerCooldownMs`
   * (default 5 min) one more process is started (half-open): healthy closes the breaker, another failure
   * opens it again. An admin's start or restart closes it at once.
   */
  breakerAfter?: number;
  breakerCooldownMs?: number;
  /** Control-channel ping period and the silence after which a process counts as hung (default 10 s). */
  pingMs?: number;
  hangAfterMs?: number;
  /** Environment of the children (default: a scrubbed copy of this process's; see {@link childEnv}). */
  env?: NodeJS.ProcessEnv;
  /** The context data a child receives (default: built from these options; the hub resolves it from a plugin scope). */
  context?(spec: GatewaySpec, dataDir: string): GatewayContextData;
}

/** Why an instance is not running although the hub knows it. */
export type StopReason = 'stopped_by_admin' | 'removed' | null;

interface Child {
  spec: GatewaySpec;
  proc: ChildProcess | null;
  state: GatewayState;
  /** Reason of the last state change (vendor reason codes, stopped_by_admin). */
  reason: string | null;
  /** Last health reported to the data plane (reported on change only). */
  healthy: boolean;
  attempts: number;
  restarts: number;
  lastPong: number;
  pingN: number;
  /** Link overflow count last reported by the gateway process. */
  overflow: number;
  /** Ticks waiting in the gateway process for the link, last reported (a backlog on this source). */
  pending: number;
  /** Ticks the source's processes handed to the link, across restarts (as of the last pong). */
  sent: number;
  /** The current process's own count, last reported. */
  sentInProc: number;
  restartTimer: NodeJS.Timeout | null;
  /** Set while the instance is being stopped on purpose (no restart). */
  stopping: boolean;
  stopReason: StopReason;
  /** The named failure the current process reported before it exited (not retryable: no restart). */
  failure: { code: string; retryable: boolean } | null;
  /** A hard restart the plugin's watchdog asked for is scheduled (further requests are ignored). */
  unhealthyKill: boolean;
  /** When the current process reached `subscribed` (0: it is not subscribed). */
  subscribedAt: number;
  replies: Map<number, (r: { result?: unknown; error?: string }) => void>;
  /** Status facts the plugin reported (API version, front, trading day …), kept across restarts. */
  info: Record<string, unknown>;
  /** The current process reached healthy (the health monitor said so). */
  reachedHealthy: boolean;
  /** Processes in a row that ended without reaching healthy (the breaker counts them). */
  failedRuns: number;
  breaker: BreakerState;
  breakerTimer: NodeJS.Timeout | null;
  /** When the current process started (monotonic ms). */
  spawnedAt: number;
  /** The current process reached `subscribed` at least once (later states are a reconnect, not a start). */
  wasSubscribed: boolean;
}

export type BreakerState = 'closed' | 'open' | 'half_open';

/** What the health monitor reads of an instance. */
export interface SourceFacts {
  id: string;
  /** A process is running (it may not answer). */
  running: boolean;
  state: GatewayState;
  reason: string | null;
  stoppedByAdmin: boolean;
  /** A failure retrying cannot fix ended the last process (a refused login): no restart until a change or an admin's start. */
  failed: string | null;
  breaker: BreakerState;
  /** Since the process last answered a ping (or started), ms. */
  silentMs: number;
  /** Since the process started, ms (0 when none runs). */
  upMs: number;
  /** The plugin's own watchdog reported the process unhealthy (a hard restart follows). */
  unhealthy: string | null;
  restarts: number;
  /** The current process was subscribed before: a state short of it now is a reconnect. */
  wasSubscribed: boolean;
}

export interface GatewayInfo {
  id: string;
  pid: number | null;
  state: GatewayState;
  reason: string | null;
  restarts: number;
  pending: number;
  sent: number;
  stopped_by_admin: boolean;
  breaker: BreakerState;
  /** Status facts the plugin reported (see GatewayContext.report). */
  info: Record<string, unknown>;
}

const HOST = fileURLToPath(new URL('./host.js', import.meta.url));
/** util-linux's setpriv sets PR_SET_PDEATHSIG before node starts: a child hung in native code or SIGSTOPped dies with a SIGKILLed hub. */
const SETPRIV = '/usr/bin/setpriv';
const HAS_SETPRIV = fs.existsSync(SETPRIV);

/** Variables a gateway child may see: process basics only; never MDHUB_DB_URL, MDHUB_SECRET_KEY or anything else of the hub's. */
const ENV_ALLOWED = /^(PATH|HOME|USER|LOGNAME|LANG|LANGUAGE|LC_[A-Z_]+|TZ|TMPDIR|LD_LIBRARY_PATH)$/;

/** A scrubbed copy of `env` for a gateway child (secrets reach it over IPC only). */
export function childEnv(env: NodeJS.ProcessEnv, id: string): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(env)) if (ENV_ALLOWED.test(k) && v !== undefined) out[k] = v;
  out['MDHUB_GATEWAY'] = id;
  return out;
}

/** 250 ms × 2^(n-1), capped at 30 s, with ±20 % jitter (sources that died together do not restart together). */
function defaultRetryDelay(attempt: number): number {
  return Math.min(30_000, 250 * 2 ** (attempt - 1)) * (0.8 + Math.random() * 0.4);
}

/** Longest line of a child's stdout/stderr kept in a log record (vendor libraries print; a runaway one is cut). */
const MAX_LINE = 4096;

/**
 * Runs every gateway instance in its own child process: start, health pings on the control channel,
 * SIGKILL + restart ("hard restart") with capped exponential backoff, graceful stop with SIGKILL as the
 * last resort. A child is healthy only while its process lives and it reports `subscribed`. Instances
 * are added, removed and replaced while the others run (live reconfiguration), and stopped or started
 * by an admin on this hub.
 */
export class Supervisor {
  private readonly children = new Map<string, Child>();
  private pinger: NodeJS.Timeout | null = null;
  /** When the last hung process was killed: hang kills are spaced so an overloaded machine is not
   * answered with a restart storm (one at a time, hangAfterMs apart). */
  private lastHangKill = Number.NEGATIVE_INFINITY;
  private closed = false;
  private reqId = 0;

  constructor(private readonly opts: SupervisorOptions) {}

  /** Starts the instances and the health pings. */
  async start(specs: GatewaySpec[]): Promise<void> {
    for (const spec of specs) await this.add(spec);
    const pingMs = this.opts.pingMs ?? 1000;
    this.pinger = setInterval(() => this.ping(), pingMs);
  }

  ids(): string[] {
    return [...this.children.keys()];
  }

  /** The spec an instance runs with (undefined when unknown). */
  spec(id: string): GatewaySpec | undefined {
    return this.children.get(id)?.spec;
  }

  pids(): number[] {
    const out: number[] = [];
    for (const c of this.children.values()) if (c.proc?.pid !== undefined && c.proc.exitCode === null) out.push(c.proc.pid);
    return out;
  }

  info(): GatewayInfo[] {
    return [...this.children.values()].map((c) => ({
      id: c.spec.id, pid: c.proc?.pid ?? null, state: c.state, reason: c.reason, restarts: c.restarts, pending: c.pending, sent: c.sent,
      stopped_by_admin: c.stopReason === 'stopped_by_admin', breaker: c.breaker, info: { ...c.info },
    }));
  }

  /** What the health monitor judges each instance by. */
  facts(): SourceFacts[] {
    const now = performance.now();
    if (this.pinger !== null) this.creditStall(now);
    return [...this.children.values()].map((c) => ({
      id: c.spec.id, running: c.proc !== null, state: c.state, reason: c.reason, stoppedByAdmin: c.stopReason === 'stopped_by_admin',
      failed: c.proc === null && c.failure && !c.failure.retryable ? c.failure.code : null, breaker: c.breaker,
      silentMs: c.proc ? Math.max(0, now - c.lastPong) : 0, upMs: c.proc ? now - c.spawnedAt : 0,
      unhealthy: c.unhealthyKill ? c.reason : null, restarts: c.restarts, wasSubscribed: c.wasSubscribed,
    }));
  }

  /** The health monitor saw the instance's current process healthy: its restart succeeded (the breaker closes). */
  noteHealthy(id: string): void {
    const c = this.children.get(id);
    if (!c || !c.proc || c.reachedHealthy) return;
    c.reachedHealthy = true;
    c.failedRuns = 0;
    if (c.breaker !== 'closed') {
      c.breaker = 'closed';
      this.opts.onEvent({ kind: 'breaker_closed', source: id });
    }
  }

  /** Adds an instance and starts its process (idempotent for a known id: use {@link replace} to change it). */
  async add(spec: GatewaySpec): Promise<void> {
    if (this.closed || this.children.has(spec.id)) return;
    const c: Child = {
      spec, proc: null, state: 'stopped', reason: null, healthy: false, attempts: 0, restarts: 0, lastPong: 0, pingN: 0, overflow: 0, pending: 0, sent: 0, sentInProc: 0,
      restartTimer: null, stopping: false, stopReason: null, failure: null, unhealthyKill: false, subscribedAt: 0, replies: new Map(), info: {},
      reachedHealthy: false, failedRuns: 0, breaker: 'closed', breakerTimer: null, spawnedAt: 0, wasSubscribed: false,
    };
    this.children.set(spec.id, c);
    await this.spawn(c);
  }

  /** Stops an instance's process and forgets it (its link stays bound; the source is unhealthy). */
  async remove(id: string): Promise<void> {
    const c = this.children.get(id);
    if (!c) return;
    await this.stopChild(c, 'removed');
    this.children.delete(id);
    this.opts.onEvent({ kind: 'source_removed', source: id });
  }

  /** Restarts an instance with a new spec (a configuration change; not counted as a fault). */
  async replace(spec: GatewaySpec): Promise<void> {
    const c = this.children.get(spec.id);
    if (!c) return this.add(spec);
    const wasStopped = c.stopReason === 'stopped_by_admin';
    await this.stopChild(c, wasStopped ? 'stopped_by_admin' : null);
    c.spec = spec;
    c.attempts = 0;
    this.opts.onEvent({ kind: 'source_reconfigured', source: spec.id });
    if (!wasStopped) {
      c.stopping = false;
      c.stopReason = null;
      await this.spawn(c);
    }
  }

  /** An admin stops an instance on this hub until it is started again or the hub restarts. */
  async stopByAdmin(id: string): Promise<void> {
    const c = this.child(id);
    await this.stopChild(c, 'stopped_by_admin');
    c.reason = 'stopped_by_admin';
    this.opts.onEvent({ kind: 'source_state', source: id, state: 'stopped', reason: 'stopped_by_admin' });
  }

  /** An admin starts an instance stopped by an admin (or restarts a running one's backoff at once). */
  async startByAdmin(id: string): Promise<void> {
    const c = this.child(id);
    if (c.proc) return;
    if (c.restartTimer) clearTimeout(c.restartTimer);
    c.restartTimer = null;
    c.stopping = false;
    c.stopReason = null;
    c.attempts = 0;
    this.closeBreaker(c, 'admin');
    await this.spawn(c);
  }

  /** An admin's start or restart closes the breaker at once. */
  private closeBreaker(c: Child, by: string): void {
    if (c.breakerTimer) clearTimeout(c.breakerTimer);
    c.breakerTimer = null;
    c.failedRuns = 0;
    if (c.breaker === 'closed') return;
    c.breaker = 'closed';
    this.opts.onEvent({ kind: 'breaker_closed', source: c.spec.id, by });
  }

  /** Hard restart by an admin: SIGKILL and start again at once (no backoff). */
  async restartByAdmin(id: string): Promise<void> {
    const c = this.child(id);
    await this.stopChild(c, null, 0);
    c.stopping = false;
    c.stopReason = null;
    c.attempts = 0;
    c.restarts++;
    this.closeBreaker(c, 'admin');
    await this.spawn(c);
  }

  private child(id: string): Child {
    const c = this.children.get(id);
    if (!c) throw new MdhubError('MDH_ERR_GATEWAY_UNKNOWN', { gateway: id });
    return c;
  }

  private async spawn(c: Child): Promise<void> {
    if (this.closed || c.stopping) return;
    const endpoint = await this.opts.linkEndpoint(c.spec.id);
    // The instance may have been stopped, removed, replaced or spawned meanwhile: one process at most.
    if (this.closed || c.stopping || c.proc !== null || this.children.get(c.spec.id) !== c) return;
    const env = childEnv(this.opts.env ?? process.env, c.spec.id);
    const [cmd, args] = HAS_SETPRIV
      ? [SETPRIV, ['--pdeathsig', 'KILL', '--', process.execPath, HOST]]
      : [process.execPath, [HOST]];
    const proc = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe', 'ipc'], serialization: 'advanced', env });
    c.proc = proc;
    c.lastPong = performance.now();
    c.overflow = 0;
    c.pending = 0;
    c.sentInProc = 0;
    c.state = 'connecting';
    c.reason = null;
    c.failure = null;
    c.unhealthyKill = false;
    c.subscribedAt = 0;
    c.reachedHealthy = false;
    c.wasSubscribed = false;
    c.spawnedAt = performance.now();
    this.opts.onPids?.(this.pids());
    this.pipeOutput(c, proc, 'stdout', 'info');
    this.pipeOutput(c, proc, 'stderr', 'warn');
    proc.on('message', (m: FromGateway) => {
      // The child runs plugin code: its messages are input. A malformed one is logged, never fatal.
      try {
        this.onMessage(c, m);
      } catch (err) {
        this.opts.onLog({ level: 'error', ts: Date.now(), msg: 'malformed message from a gateway process', area: 'supervisor', details: { gateway: c.spec.id, error: String(err) } });
      }
    });
    // 'close', not 'exit': it comes once the IPC channel is drained too, so a `failed` report written just
    // before the exit is always read before the restart decision (a refused login is never tried again).
    // Should 'close' not come (a stray process holding the pipes), 2 s after 'exit' decides anyway.
    let ended = false;
    const end = (code: number | null, signal: NodeJS.Signals | null): void => {
      if (ended) return;
      ended = true;
      this.onExit(c, proc, code, signal);
    };
    proc.on('close', end);
    proc.on('exit', (code, signal) => setTimeout(() => end(code, signal), 2000).unref());
    proc.on('error', (err) => this.opts.onLog({ level: 'error', ts: Date.now(), msg: 'gateway process error', area: 'supervisor', details: { gateway: c.spec.id, error: String(err) } }));
    const ctx = this.opts.context?.(c.spec, this.instanceDir(c.spec.id)) ?? {
      id: c.spec.id, hubId: this.opts.hubId, runId: this.opts.runId, config: c.spec.config, clock: this.opts.clock, dataDir: this.instanceDir(c.spec.id),
    };
    const init: ToGateway = { t: 'init', ...ctx, plugin: c.spec.plugin, endpoint };
    proc.send(init);
    this.opts.onEvent({ kind: 'source_spawned', source: c.spec.id, pid: proc.pid });
  }

  /** A child's output (a vendor library printing) becomes log records, a line each; never inherited. */
  private pipeOutput(c: Child, proc: ChildProcess, stream: 'stdout' | 'stderr', level: LogLevel): void {
    let partial = '';
    const s = proc[stream];
    if (!s) return;
    s.setEncoding('utf8');
    s.on('data', (d: string) => {
      partial += d;
      let i: number;
      while ((i = partial.indexOf('\n')) >= 0) {
        const line = partial.slice(0, i).replace(/\r$/, '');
        partial = partial.slice(i + 1);
        if (line.trim() !== '') this.opts.onLog({ level, ts: Date.now(), msg: line.slice(0, MAX_LINE), area: `gateway:${c.spec.id}`, details: { stream } });
      }
      if (partial.length > MAX_LINE) {
        this.opts.onLog({ level, ts: Date.now(), msg: partial.slice(0, MAX_LINE), area: `gateway:${c.spec.id}`, details: { stream, truncated: true } });
        partial = '';
      }
    });
  }

  private onMessage(c: Child, m: FromGateway): void {
    switch (m.t) {
      case 'state': {
        const was = c.state;
        c.state = m.state;
        c.reason = m.reason ?? null;
        if (was !== m.state) {
          this.opts.onEvent({ kind: 'source_state', source: c.spec.id, state: m.state, ...(m.reason ? { reason: m.reason } : {}) });
          this.setHealthy(c, m.state === 'subscribed');
          c.subscribedAt = m.state === 'subscribed' ? Date.now() : 0;
          if (m.state === 'subscribed') c.wasSubscribed = true;
        }
        break;
      }
      case 'pong':
        c.lastPong = performance.now();
        if (m.overflow > c.overflow) {
          this.opts.onEvent({ kind: 'link_overflow', source: c.spec.id, dropped: m.overflow, new: m.overflow - c.overflow });
          this.opts.onLog({ level: 'error', ts: Date.now(), msg: 'gateway dropped ticks: the hub is not reading its link', area: 'supervisor', code: 'MDH_ERR_LINK_OVERFLOW', details: { gateway: c.spec.id, dropped: m.overflow } });
        }
        c.overflow = m.overflow;
        c.pending = typeof m.pending === 'number' ? m.pending : 0;
        if (typeof m.sentTicks === 'number' && m.sentTicks > c.sentInProc) {
          c.sent += m.sentTicks - c.sentInProc;
          c.sentInProc = m.sentTicks;
        }
        break;
      case 'log':
        this.opts.onLog(m.rec);
        break;
      case 'failed':
        c.reason = m.code;
        c.failure = { code: String(m.code), retryable: m.retryable !== false };
        this.opts.onEvent({ kind: 'source_failed', source: c.spec.id, code: m.code, message: m.message, retryable: m.retryable !== false });
        this.opts.onLog({ level: 'error', ts: Date.now(), msg: m.message, area: 'supervisor', code: m.code, details: { gateway: c.spec.id, ...(m.details ?? {}) } });
        break;
      case 'reply': {
        const cb = c.replies.get(m.reqId);
        c.replies.delete(m.reqId);
        cb?.(m);
        break;
      }
      case 'info': {
        if (typeof m.info !== 'object' || m.info === null) break;
        for (const [k, v] of Object.entries(m.info)) {
          if (v === null) delete c.info[k];
          else c.info[k] = v;
        }
        this.opts.onEvent({ kind: 'source_info', source: c.spec.id, info: { ...c.info } });
        break;
      }
      case 'instruments':
        if (Array.isArray(m.list)) this.opts.onInstruments?.(c.spec.id, m.list);
        break;
      case 'unhealthy': {
        // The plugin's own watchdog (a vendor thread hung): a hard restart, spaced like hang kills. One per
        // process: repeats are ignored, so a plugin cannot push the spacing out for every other gateway.
        if (c.unhealthyKill || !c.proc) break;
        c.unhealthyKill = true;
        const reason = String(m.reason).slice(0, 500);
        c.reason = reason;
        this.opts.onEvent({ kind: 'source_unhealthy', source: c.spec.id, reason });
        this.setHealthy(c, false);
        const now = performance.now();
        const spacing = this.opts.hangAfterMs ?? 10_000;
        const wait = Math.max(0, this.lastHangKill + spacing - now);
        this.lastHangKill = now + wait;
        const proc = c.proc;
        setTimeout(() => {
          if (c.proc === proc && proc && !c.stopping) this.kill(c.spec.id, `unhealthy: ${reason}`);
        }, wait).unref();
        break;
      }
      case 'ready':
        break;
    }
  }

  private onExit(c: Child, proc: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (c.proc !== proc) return;
    c.proc = null;
    c.state = 'stopped';
    this.setHealthy(c, false);
    this.opts.onPids?.(this.pids());
    for (const cb of c.replies.values()) cb({ error: 'gateway exited' });
    c.replies.clear();
    if (this.closed || c.stopping) return;
    if (c.failure && !c.failure.retryable) {
      // A failure that retrying cannot fix (a refused login, a bad configuration): no restart loop that
      // could get a broker account locked. A configuration change or an admin's start runs it again.
      c.reason = `failed: ${c.failure.code}`;
      this.opts.onEvent({ kind: 'source_exit', source: c.spec.id, code, signal, restart_in_ms: null, gave_up: true, failure: c.failure.code });
      this.opts.onLog({ level: 'error', ts: Date.now(), msg: `gateway ${c.spec.id} is not restarted: ${c.failure.code} is not retryable; change its configuration or account, or mdhub gateway start ${c.spec.id}`, area: 'supervisor', code: c.failure.code, details: { gateway: c.spec.id } });
      return;
    }
    // The backoff starts over only after a healthy hold: a process that keeps dying soon after it
    // subscribed waits longer each time.
    if (c.subscribedAt > 0 && Date.now() - c.subscribedAt >= (this.opts.healthyHoldMs ?? 30_000)) c.attempts = 0;
    c.subscribedAt = 0;
    // The breaker counts only processes that never reached healthy: a source that ran well and then
    // failed is restarted however often that happens.
    c.failedRuns = c.reachedHealthy ? 0 : c.failedRuns + 1;
    if (c.breaker === 'half_open' && !c.reachedHealthy) c.breaker = 'closed'; // opens again just below
    if (c.breaker === 'closed' && c.failedRuns >= (this.opts.breakerAfter ?? 5)) {
      c.breaker = 'open';
      c.restarts++;
      const cooldown = this.opts.breakerCooldownMs ?? 300_000;
      this.opts.onEvent({ kind: 'breaker_open', source: c.spec.id, failed_restarts: c.failedRuns, retry_in_ms: cooldown, code, signal });
      this.opts.onLog({ level: 'error', ts: Date.now(), msg: `gateway ${c.spec.id}: ${c.failedRuns} restarts in a row never reached healthy; circuit breaker open, next try in ${Math.round(cooldown / 1000)} s (or mdhub gateway start ${c.spec.id})`, area: 'supervisor', code: 'MDH_ERR_GATEWAY_CIRCUIT_OPEN', details: { gateway: c.spec.id } });
      c.breakerTimer = setTimeout(() => {
        c.breakerTimer = null;
        if (this.closed || c.stopping || c.proc || c.breaker !== 'open') return;
        c.breaker = 'half_open';
        this.opts.onEvent({ kind: 'breaker_half_open', source: c.spec.id });
        this.spawn(c).catch((err: unknown) => this.opts.onLog({ level: 'error', ts: Date.now(), msg: 'gateway restart failed', area: 'supervisor', details: { gateway: c.spec.id, error: String(err) } }));
      }, cooldown);
      c.breakerTimer.unref?.();
      return;
    }
    c.attempts++;
    c.restarts++;
    const delay = Math.round((this.opts.retryDelayMs ?? defaultRetryDelay)(c.attempts));
    this.opts.onEvent({ kind: 'source_exit', source: c.spec.id, code, signal, restart_in_ms: delay, attempt: c.attempts });
    c.restartTimer = setTimeout(() => {
      c.restartTimer = null;
      this.spawn(c).catch((err: unknown) => this.opts.onLog({ level: 'error', ts: Date.now(), msg: 'gateway restart failed', area: 'supervisor', details: { gateway: c.spec.id, error: String(err) } }));
    }, delay);
  }

  /** The folder of an instance's own files (an id is `[A-Za-z0-9_-]`, checked by the store; never a path). */
  private instanceDir(id: string): string {
    const base = this.opts.dataDir ?? path.join(os.tmpdir(), `mdhub-${this.opts.hubId}`);
    return path.join(base, 'gateways', id.replace(/[^A-Za-z0-9_.-]/g, '_').replace(/^\.+/, '_'));
  }

  private setHealthy(c: Child, healthy: boolean): void {
    if (c.healthy === healthy) return;
    c.healthy = healthy;
    this.opts.onHealth(c.spec.id, healthy);
  }

  /** When the ping loop last ran (monotonic ms): a late run means the hub itself was not running. */
  private lastPingRun = 0;

  /**
   * Time the hub itself did not run (SIGSTOP, a paused VM, a long GC pause) is not the children's
   * silence: their pongs wait unread in the pipes. It is credited to every child before any is judged,
   * by the ping loop or by whoever reads the facts first after the stall.
   */
  private creditStall(now: number): void {
    const pingMs = this.opts.pingMs ?? 1000;
    const stalled = this.lastPingRun > 0 ? now - this.lastPingRun - pingMs : 0;
    if (stalled > Math.max(1000, pingMs)) {
      for (const c of this.children.values()) c.lastPong += stalled;
      this.lastPingRun += stalled;
      this.opts.onEvent({ kind: 'hub_stalled', stalled_ms: Math.round(stalled) });
    }
  }

  private ping(): void {
    const hangAfter = this.opts.hangAfterMs ?? 10_000;
    const now = performance.now();
    this.creditStall(now);
    this.lastPingRun = now;
    for (const c of this.children.values()) {
      if (!c.proc || c.stopping) continue;
      if (now - c.lastPong > hangAfter && now - this.lastHangKill >= hangAfter) {
        this.lastHangKill = now; // one hang kill at a time, hangAfterMs apart
        this.opts.onEvent({ kind: 'source_hung', source: c.spec.id, silent_ms: Math.round(now - c.lastPong) });
        this.kill(c.spec.id, 'hung');
        continue;
      }
      // Overdue children waiting for their turn are pinged too: an answer still saves them.
      if (c.proc.connected) c.proc.send({ t: 'ping', n: ++c.pingN } satisfies ToGateway);
    }
  }

  /** Hard restart: SIGKILL the gateway process; the exit handler restarts it with backoff. */
  kill(id: string, reason = 'requested'): void {
    const c = this.child(id);
    if (!c.proc) return;
    this.setHealthy(c, false);
    this.opts.onEvent({ kind: 'source_killed', source: id, pid: c.proc.pid, reason });
    c.proc.kill('SIGKILL');
  }

  /** Sends a plugin-specific command (e.g. simulator fault injection) to a gateway process. */
  control(id: string, cmd: { op: string; [k: string]: unknown }, timeoutMs = 5000): Promise<unknown> {
    const c = this.children.get(id);
    if (!c) return Promise.reject(new MdhubError('MDH_ERR_GATEWAY_UNKNOWN', { gateway: id }));
    const proc = c.proc;
    if (!proc || !proc.connected) return Promise.reject(new MdhubError('MDH_ERR_GATEWAY_UNKNOWN', { gateway: id, reason: 'not running' }));
    const reqId = ++this.reqId;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        c.replies.delete(reqId);
        reject(new Error(`control ${cmd.op} to ${id} timed out`));
      }, timeoutMs);
      c.replies.set(reqId, (r) => {
        clearTimeout(timer);
        if (r.error) reject(new Error(r.error));
        else resolve(r.result);
      });
      proc.send({ t: 'control', reqId, cmd } satisfies ToGateway);
    });
  }

  /** Stops one instance on purpose: ask over IPC, SIGKILL after graceMs; no restart follows. */
  private stopChild(c: Child, reason: StopReason, graceMs = 3000): Promise<void> {
    c.stopping = true;
    c.stopReason = reason;
    if (c.restartTimer) clearTimeout(c.restartTimer);
    c.restartTimer = null;
    if (c.breakerTimer) clearTimeout(c.breakerTimer);
    c.breakerTimer = null;
    const proc = c.proc;
    this.setHealthy(c, false);
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) {
      c.proc = null;
      c.state = 'stopped';
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
      // Done when the exit was handled ('close', see spawn), or 2 s after the exit at the latest.
      const done = (): void => {
        clearTimeout(timer);
        if (c.proc === proc) {
          c.proc = null;
          c.state = 'stopped';
        }
        resolve();
      };
      proc.once('close', done);
      proc.once('exit', () => setTimeout(done, 2000).unref());
      if (graceMs > 0 && proc.connected) proc.send({ t: 'stop' } satisfies ToGateway);
      else proc.kill('SIGKILL');
    });
  }

  /** Stops every gateway: ask over IPC, then SIGKILL whatever is still alive after graceMs. */
  async stop(graceMs = 3000): Promise<void> {
    this.closed = true;
    if (this.pinger) clearInterval(this.pinger);
    await Promise.all([...this.children.values()].map((c) => this.stopChild(c, null, graceMs)));
    this.opts.onPids?.([]);
  }
}
