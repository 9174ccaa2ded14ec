import { Worker } from 'node:worker_threads';
import type { HubState, LogRecord, StatusEvent } from '@mdhub/protocol';
import { MdhubError } from '../errors.js';
import type { GroupConfig } from './arbiter.js';
import type { CleansingSettings } from './cleansing-hook.js';
import type { DataPlaneStats } from './dataplane.js';
import type { FromWorker, ToWorker, WorkerInit } from './worker.js';
import type { InstrumentRef } from '../plugin/manifest.js';
import type { CanaryGroup, WatchReport } from './watch.js';

export interface DataPlaneEvents {
  onStatus(ev: StatusEvent): void;
  onLog(rec: LogRecord): void;
  /** The worker died (exited or threw) while the hub did not ask it to close. */
  onDead(reason: string): void;
  /** The sources' data health as the data plane sees it. */
  onWatch?(report: WatchReport): void;
}

/** The worker's start-up failure as a named error: which setting could not be bound, and why. */
function startFailure(m: Extract<FromWorker, { t: 'failed' }>): Error {
  if (m.setting === 'pub' || m.setting === 'snapshot') {
    const inUse = m.code === 'EADDRINUSE' || /in use/i.test(m.error);
    return new MdhubError(inUse ? 'MDH_ERR_CONFIG_ADDRESS_IN_USE' : 'MDH_ERR_CONFIG_BIND_FAILED', { setting: m.setting, value: m.value, reason: `--${m.setting} ${m.value}: ${m.error}` });
  }
  if (m.setting === 'cleansing') return new MdhubError('MDH_ERR_CONFIG_INVALID', { setting: 'cleansing', reason: m.error, ...(m.code ? { cause_code: m.code } : {}) });
  return new Error(m.error);
}

/** The control plane's handle on the data-plane worker thread. */
export class DataPlaneHandle {
  private readonly worker: Worker;
  private reqId = 0;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private exited = false;
  private closing = false;
  private abandoned = false;
  endpoints = { pub: '', snapshot: '' };

  private constructor(worker: Worker, private readonly events: DataPlaneEvents) {
    this.worker = worker;
  }

  static start(init: WorkerInit, events: DataPlaneEvents): Promise<DataPlaneHandle> {
    const worker = new Worker(new URL('./worker.js', import.meta.url), { workerData: init });
    const h = new DataPlaneHandle(worker, events);
    let started = false;
    return new Promise((resolve, reject) => {
      worker.on('message', (m: FromWorker) => {
        switch (m.t) {
          case 'ready':
            h.endpoints = m.endpoints;
            started = true;
            resolve(h);
            break;
          case 'failed':
            h.closing = true;
            reject(startFailure(m));
            break;
          case 'reply': {
            const p = h.pending.get(m.reqId);
            h.pending.delete(m.reqId);
            if (m.error !== undefined) p?.reject(new Error(m.error));
            else p?.resolve(m.result);
            break;
          }
          case 'status':
            h.events.onStatus(m.ev);
            break;
          case 'log':
            h.events.onLog(m.rec);
            break;
          case 'watch':
            h.events.onWatch?.(m.report);
            break;
        }
      });
      worker.on('error', (err) => {
        h.events.onLog({ level: 'error', ts: Date.now(), msg: 'data plane worker failed', area: 'dataplane', code: 'MDH_ERR_DATAPLANE_DEAD', details: { error: String(err) } });
        if (!started) reject(err);
      });
      worker.on('exit', (code) => {
        h.exited = true;
        for (const p of h.pending.values()) p.reject(new Error('data plane exited'));
        h.pending.clear();
        if (!started) reject(new Error(`data plane exited (${code}) before it was ready`));
        else if (!h.closing) h.events.onDead(`the data-plane worker exited with code ${code}`);
      });
    });
  }

  get alive(): boolean {
    return !this.exited;
  }

  private request<T>(m: Omit<Extract<ToWorker, { reqId: number }>, 'reqId'>, timeoutMs = 0): Promise<T> {
    if (this.exited) return Promise.reject(new Error('data plane exited'));
    const reqId = ++this.reqId;
    return new Promise<T>((resolve, reject) => {
      let timer: NodeJS.Timeout | null = null;
      if (timeoutMs > 0) {
        // A timer that fires far later than asked means this whole process did not run (SIGSTOP, a paused
        // VM): the worker's answer may be waiting unread, so it gets another full period instead of a verdict.
        let armedAt = performance.now();
        const expire = (): void => {
          const late = performance.now() - armedAt - timeoutMs;
          if (late > Math.max(500, timeoutMs / 2)) {
            armedAt = performance.now();
            timer = setTimeout(expire, timeoutMs);
            return;
          }
          this.pending.delete(reqId);
          reject(new Error(`data plane did not answer ${m.t} within ${timeoutMs} ms`));
        };
        timer = setTimeout(expire, timeoutMs);
      }
      this.pending.set(reqId, {
        resolve: (v) => { if (timer) clearTimeout(timer); resolve(v as T); },
        reject: (e) => { if (timer) clearTimeout(timer); reject(e); },
      });
      this.worker.postMessage({ ...m, reqId } as ToWorker);
    });
  }

  addGateway(id: string): Promise<string> {
    return this.request<string>({ t: 'addGateway', id } as Omit<Extract<ToWorker, { t: 'addGateway' }>, 'reqId'>);
  }

  stats(timeoutMs = 0): Promise<DataPlaneStats> {
    return this.request<DataPlaneStats>({ t: 'stats' }, timeoutMs);
  }

  /** Instruments matching a search, with their last state's essentials, data state and winning source. */
  queryInstruments(search: string, limit: number, timeoutMs = 5000): Promise<{ total: number; instruments: Array<Record<string, unknown>> }> {
    return this.request({ t: 'queryInstruments', search, limit } as Omit<Extract<ToWorker, { t: 'queryInstruments' }>, 'reqId'>, timeoutMs);
  }

  /** Resolves when the worker's event loop answers (its liveness). */
  ping(timeoutMs: number): Promise<void> {
    return this.request<void>({ t: 'ping' }, timeoutMs);
  }

  /** Replaces the instrument groups live (throws on a configuration the arbiter refuses; nothing changes then). */
  setGroups(groups: GroupConfig[]): Promise<void> {
    return this.request<void>({ t: 'groups', groups } as Omit<Extract<ToWorker, { t: 'groups' }>, 'reqId'>);
  }

  /** Replaces the cleansing stage live (filters are loaded in the worker). */
  setCleansing(cleansing: CleansingSettings): Promise<void> {
    return this.request<void>({ t: 'cleansing', cleansing } as Omit<Extract<ToWorker, { t: 'cleansing' }>, 'reqId'>);
  }

  /** Test hook: makes the worker exit or hang (the hub's reaction to a dead data plane is tested with it). */
  fault(op: 'exit' | 'hang'): void {
    if (!this.exited) this.worker.postMessage({ t: 'fault', op } satisfies ToWorker);
  }

  /** The hub's state, for the heartbeat. */
  setHubState(state: HubState): void {
    if (!this.exited) this.worker.postMessage({ t: 'hubState', state } satisfies ToWorker);
  }

  /** A gateway's instruments (with reference data): the worker creates their state before their first tick. */
  prepareInstruments(source: string, list: InstrumentRef[]): void {
    if (!this.exited) this.worker.postMessage({ t: 'instruments', source, list } satisfies ToWorker);
  }

  /** A source's process (re)started: its data health is judged afresh. */
  sourceStarted(id: string): void {
    if (!this.exited) this.worker.postMessage({ t: 'sourceStarted', id } satisfies ToWorker);
  }

  /** Canary products per group (resolved afresh). */
  setCanaries(canaries: CanaryGroup[]): void {
    if (!this.exited) this.worker.postMessage({ t: 'canaries', canaries } satisfies ToWorker);
  }

  setHealth(id: string, healthy: boolean): void {
    if (!this.exited) this.worker.postMessage({ t: 'health', id, healthy } satisfies ToWorker);
  }

  publishStatus(ev: StatusEvent): void {
    if (!this.exited) this.worker.postMessage({ t: 'status', ev } satisfies ToWorker);
  }

  publishLog(rec: LogRecord): void {
    if (!this.exited) this.worker.postMessage({ t: 'log', rec } satisfies ToWorker);
  }

  /** The worker is dead or hung: stop talking to it (close() no longer waits for it). */
  abandon(): void {
    this.closing = true;
    this.abandoned = true;
  }

  /** Asks the worker to close its sockets and exit (never terminate() a worker holding zmq sockets). */
  async close(): Promise<void> {
    this.closing = true;
    if (this.exited || this.abandoned) return;
    const exited = new Promise<void>((r) => this.worker.once('exit', () => r()));
    await this.request({ t: 'close' }, 3000).catch(() => {});
    await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
  }
}
