import { Worker } from 'node:worker_threads';
import type { LogRecord, StatusEvent } from '@mdhub/protocol';
import type { DataPlaneStats } from './dataplane.js';
import type { FromWorker, ToWorker, WorkerInit } from './worker.js';

/** The control plane's handle on the data-plane worker thread. */
export class DataPlaneHandle {
  private readonly worker: Worker;
  private reqId = 0;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private exited = false;
  endpoints = { pub: '', snapshot: '' };

  private constructor(worker: Worker, private readonly onStatus: (ev: StatusEvent) => void, private readonly onLog: (rec: LogRecord) => void) {
    this.worker = worker;
  }

  static start(init: WorkerInit, onStatus: (ev: StatusEvent) => void, onLog: (rec: LogRecord) => void): Promise<DataPlaneHandle> {
    const worker = new Worker(new URL('./worker.js', import.meta.url), { workerData: init });
    const h = new DataPlaneHandle(worker, onStatus, onLog);
    return new Promise((resolve, reject) => {
      worker.on('message', (m: FromWorker) => {
        switch (m.t) {
          case 'ready':
            h.endpoints = m.endpoints;
            resolve(h);
            break;
          case 'failed':
            reject(new Error(m.error));
            break;
          case 'reply': {
            const p = h.pending.get(m.reqId);
            h.pending.delete(m.reqId);
            if (m.error !== undefined) p?.reject(new Error(m.error));
            else p?.resolve(m.result);
            break;
          }
          case 'status':
            h.onStatus(m.ev);
            break;
          case 'log':
            h.onLog(m.rec);
            break;
        }
      });
      worker.on('error', (err) => {
        h.onLog({ level: 'error', ts: Date.now(), msg: 'data plane worker failed', area: 'dataplane', details: { error: String(err) } });
        reject(err);
      });
      worker.on('exit', () => {
        h.exited = true;
        for (const p of h.pending.values()) p.reject(new Error('data plane exited'));
        h.pending.clear();
      });
    });
  }

  private request<T>(m: Omit<Extract<ToWorker, { reqId: number }>, 'reqId'>): Promise<T> {
    if (this.exited) return Promise.reject(new Error('data plane exited'));
    const reqId = ++this.reqId;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(reqId, { resolve: resolve as (v: unknown) => void, reject });
      this.worker.postMessage({ ...m, reqId } as ToWorker);
    });
  }

  addGateway(id: string): Promise<string> {
    return this.request<string>({ t: 'addGateway', id } as Omit<Extract<ToWorker, { t: 'addGateway' }>, 'reqId'>);
  }

  stats(): Promise<DataPlaneStats> {
    return this.request<DataPlaneStats>({ t: 'stats' });
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

  /** Asks the worker to close its sockets and exit (never terminate() a worker holding zmq sockets). */
  async close(): Promise<void> {
    if (this.exited) return;
    const exited = new Promise<void>((r) => this.worker.once('exit', () => r()));
    await this.request({ t: 'close' }).catch(() => {});
    await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
  }
}
