import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { LogRecord } from '@mdhub/protocol';
import { MdhubError } from '../errors.js';
import type { ClockParams } from '../market/types.js';
import type { GatewayState } from '../plugin/manifest.js';
import type { FromGateway, ToGateway } from './messages.js';

export interface GatewaySpec {
  id: string;
  plugin: string;
  config: unknown;
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
  /** Backoff before restart attempt n (1-based). Default: 250 ms × 2^(n-1), capped at 30 s. */
  retryDelayMs?(attempt: number): number;
  /** Control-channel ping period and the silence after which a process counts as hung (default 10 s). */
  pingMs?: number;
  hangAfterMs?: number;
}

interface Child {
  spec: GatewaySpec;
  proc: ChildProcess | null;
  state: GatewayState;
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
  stopping: boolean;
  replies: Map<number, (r: { result?: unknown; error?: string }) => void>;
}

const HOST = fileURLToPath(new URL('./host.js', import.meta.url));

/**
 * Runs every gateway instance in its own child process: start, health pings on the control channel,
 * SIGKILL + restart ("hard restart") with capped exponential backoff, graceful stop with SIGKILL as the
 * last resort. A child is healthy only while its process lives and it reports `subscribed`.
 */
export class Supervisor {
  private readonly children = new Map<string, Child>();
  private pinger: NodeJS.Timeout | null = null;
  /** When the last hung process was killed: hang kills are spaced so an overloaded machine is not
   * answered with a restart storm (one at a time, hangAfterMs apart). */
  private lastHangKill = 0;
  private closed = false;
  private reqId = 0;

  constructor(private readonly opts: SupervisorOptions) {}

  async start(specs: GatewaySpec[]): Promise<void> {
    for (const spec of specs) {
      const c: Child = {
        spec, proc: null, state: 'stopped', healthy: false, attempts: 0, restarts: 0, lastPong: 0, pingN: 0, overflow: 0, pending: 0, sent: 0, sentInProc: 0, restartTimer: null, stopping: false, replies: new Map(),
      };
      this.children.set(spec.id, c);
      await this.spawn(c);
    }
    const pingMs = this.opts.pingMs ?? 1000;
    this.pinger = setInterval(() => this.ping(), pingMs);
  }

  ids(): string[] {
    return [...this.children.keys()];
  }

  pids(): number[] {
    const out: number[] = [];
    for (const c of this.children.values()) if (c.proc?.pid !== undefined && c.proc.exitCode === null) out.push(c.proc.pid);
    return out;
  }

  info(): Array<{ id: string; pid: number | null; state: GatewayState; restarts: number; pending: number; sent: number }> {
    return [...this.children.values()].map((c) => ({ id: c.spec.id, pid: c.proc?.pid ?? null, state: c.state, restarts: c.restarts, pending: c.pending, sent: c.sent }));
  }

  private async spawn(c: Child): Promise<void> {
    if (this.closed) return;
    const endpoint = await this.opts.linkEndpoint(c.spec.id);
    const proc = fork(HOST, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'advanced', env: { ...process.env } });
    c.proc = proc;
    c.lastPong = Date.now();
    c.overflow = 0;
    c.pending = 0;
    c.sentInProc = 0;
    c.state = 'connecting';
    this.opts.onPids?.(this.pids());
    proc.on('message', (m: FromGateway) => this.onMessage(c, m));
    proc.on('exit', (code, signal) => this.onExit(c, proc, code, signal));
    proc.on('error', (err) => this.opts.onLog({ level: 'error', ts: Date.now(), msg: 'gateway process error', area: 'supervisor', details: { gateway: c.spec.id, error: String(err) } }));
    const init: ToGateway = {
      t: 'init', id: c.spec.id, hubId: this.opts.hubId, runId: this.opts.runId, plugin: c.spec.plugin, config: c.spec.config, endpoint, clock: this.opts.clock,
    };
    proc.send(init);
    this.opts.onEvent({ kind: 'source_spawned', source: c.spec.id, pid: proc.pid });
  }

  private onMessage(c: Child, m: FromGateway): void {
    switch (m.t) {
      case 'state': {
        const was = c.state;
        c.state = m.state;
        if (was !== m.state) {
          this.opts.onEvent({ kind: 'source_state', source: c.spec.id, state: m.state, ...(m.reason ? { reason: m.reason } : {}) });
          this.setHealthy(c, m.state === 'subscribed');
          if (m.state === 'subscribed') c.attempts = 0;
        }
        break;
      }
      case 'pong':
        c.lastPong = Date.now();
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
        this.opts.onLog({ level: 'error', ts: Date.now(), msg: m.message, area: 'supervisor', code: m.code, details: { gateway: c.spec.id, ...(m.details ?? {}) } });
        break;
      case 'reply': {
        const cb = c.replies.get(m.reqId);
        c.replies.delete(m.reqId);
        cb?.(m);
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
    c.attempts++;
    c.restarts++;
    const delay = (this.opts.retryDelayMs ?? ((n: number) => Math.min(30_000, 250 * 2 ** (n - 1))))(c.attempts);
    this.opts.onEvent({ kind: 'source_exit', source: c.spec.id, code, signal, restart_in_ms: delay, attempt: c.attempts });
    c.restartTimer = setTimeout(() => {
      c.restartTimer = null;
      this.spawn(c).catch((err: unknown) => this.opts.onLog({ level: 'error', ts: Date.now(), msg: 'gateway restart failed', area: 'supervisor', details: { gateway: c.spec.id, error: String(err) } }));
    }, delay);
  }

  private setHealthy(c: Child, healthy: boolean): void {
    if (c.healthy === healthy) return;
    c.healthy = healthy;
    this.opts.onHealth(c.spec.id, healthy);
  }

  private ping(): void {
    const hangAfter = this.opts.hangAfterMs ?? 10_000;
    const now = Date.now();
    for (const c of this.children.values()) {
      if (!c.proc || c.stopping) continue;
      if (now - c.lastPong > hangAfter) {
        if (now - this.lastHangKill < hangAfter) continue; // one hang kill at a time
        this.lastHangKill = now;
        this.opts.onEvent({ kind: 'source_hung', source: c.spec.id, silent_ms: now - c.lastPong });
        this.kill(c.spec.id, 'hung');
        continue;
      }
      if (c.proc.connected) c.proc.send({ t: 'ping', n: ++c.pingN } satisfies ToGateway);
    }
  }

  /** Hard restart: SIGKILL the gateway process; the exit handler restarts it with backoff. */
  kill(id: string, reason = 'requested'): void {
    const c = this.children.get(id);
    if (!c) throw new MdhubError('MDH_ERR_GATEWAY_UNKNOWN', { gateway: id });
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

  /** Stops every gateway: ask over IPC, then SIGKILL whatever is still alive after graceMs. */
  async stop(graceMs = 3000): Promise<void> {
    this.closed = true;
    if (this.pinger) clearInterval(this.pinger);
    const waits: Promise<void>[] = [];
    for (const c of this.children.values()) {
      c.stopping = true;
      if (c.restartTimer) clearTimeout(c.restartTimer);
      const proc = c.proc;
      if (!proc || proc.exitCode !== null || proc.signalCode !== null) continue;
      waits.push(new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          proc.kill('SIGKILL');
        }, graceMs);
        proc.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        if (proc.connected) proc.send({ t: 'stop' } satisfies ToGateway);
        else proc.kill('SIGKILL');
      }));
    }
    await Promise.all(waits);
    this.opts.onPids?.([]);
  }
}
