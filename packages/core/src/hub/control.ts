/**
 * The local control socket `<data-dir>/control.sock` (mode 0600, named in ready.json): how the CLI
 * reaches a running hub (`mdhub stop`, `mdhub gateway start|stop|restart|control`, `mdhub status`).
 * Newline-delimited JSON: `{id, op, args}` → `{id, ok: true, result}` or `{id, ok: false, error: {code,
 * message, details}}`. Only the owner of the data folder can connect; in Docker, `docker exec`.
 */
import fs from 'node:fs';
import net from 'node:net';
import { MdhubError, errorInfo } from '../errors.js';

export type ControlHandler = (args: Record<string, unknown>) => Promise<unknown> | unknown;

const MAX_REQUEST = 64 * 1024;
/** sun_path holds 108 bytes on Linux. */
const MAX_SOCKET_PATH = 107;

export class ControlServer {
  private server: net.Server | null = null;
  private readonly sockets = new Set<net.Socket>();

  constructor(readonly socketPath: string, private readonly handlers: Readonly<Record<string, ControlHandler>>) {}

  async start(): Promise<void> {
    if (Buffer.byteLength(this.socketPath) > MAX_SOCKET_PATH) {
      throw new MdhubError('MDH_ERR_CONFIG_BIND_FAILED', { setting: 'dataDir', value: this.socketPath, reason: `the control socket path is longer than ${MAX_SOCKET_PATH} bytes: use a shorter --data-dir` });
    }
    fs.rmSync(this.socketPath, { force: true }); // a socket left by a crashed run (the data folder's lock is ours)
    const server = net.createServer((sock) => this.serve(sock));
    const mask = process.umask(0o177); // the socket is created mode 0600
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(this.socketPath, () => resolve());
      });
    } catch (err) {
      throw new MdhubError('MDH_ERR_CONFIG_BIND_FAILED', { setting: 'dataDir', value: this.socketPath, reason: (err as Error).message }, err);
    } finally {
      process.umask(mask);
    }
    fs.chmodSync(this.socketPath, 0o600);
    this.server = server;
  }

  private serve(sock: net.Socket): void {
    this.sockets.add(sock);
    sock.on('close', () => this.sockets.delete(sock));
    let buf = '';
    sock.setEncoding('utf8');
    sock.on('error', () => {});
    sock.on('data', (d: string) => {
      buf += d;
      if (buf.length > MAX_REQUEST) {
        sock.end(`${JSON.stringify({ id: null, ok: false, error: { code: 'MDH_ERR_CONTROL_BAD_REQUEST', message: 'request too large' } })}\n`);
        return;
      }
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        void this.answer(line).then((reply) => { if (!sock.destroyed) sock.write(`${JSON.stringify(reply)}\n`); });
      }
    });
  }

  private async answer(line: string): Promise<Record<string, unknown>> {
    let req: { id?: unknown; op?: unknown; args?: unknown };
    try {
      req = JSON.parse(line) as typeof req;
    } catch {
      return { id: null, ok: false, error: { code: 'MDH_ERR_CONTROL_BAD_REQUEST', message: 'not JSON' } };
    }
    const id = typeof req.id === 'number' || typeof req.id === 'string' ? req.id : null;
    const h = typeof req.op === 'string' ? this.handlers[req.op] : undefined;
    if (!h) return { id, ok: false, error: { code: 'MDH_ERR_CONTROL_BAD_REQUEST', message: `unknown op ${String(req.op)}`, details: { ops: Object.keys(this.handlers) } } };
    const args = typeof req.args === 'object' && req.args !== null && !Array.isArray(req.args) ? (req.args as Record<string, unknown>) : {};
    try {
      return { id, ok: true, result: (await h(args)) ?? null };
    } catch (err) {
      const e = errorInfo(err);
      return { id, ok: false, error: { code: e.code ?? 'MDH_ERR_CONTROL_BAD_REQUEST', message: e.message, ...(e.details ? { details: e.details } : {}) } };
    }
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = null;
    for (const sock of this.sockets) sock.destroy(); // a client that stays connected must not hold up a stop
    if (s) await new Promise<void>((r) => s.close(() => r()));
    fs.rmSync(this.socketPath, { force: true });
  }
}

/** A control-socket error as the hub reported it. */
export class RemoteError extends Error {
  constructor(readonly code: string, message: string, readonly details: Record<string, unknown>) {
    super(message);
    this.name = 'RemoteError';
  }
}

/** Sends one request to a running hub's control socket. */
export function controlRequest(socketPath: string, op: string, args: Record<string, unknown> = {}, timeoutMs = 15_000): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(socketPath);
    let buf = '';
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new MdhubError('MDH_ERR_CONTROL_TIMEOUT', { socket: socketPath, op, timeout_ms: timeoutMs }));
    }, timeoutMs);
    sock.setEncoding('utf8');
    sock.on('connect', () => sock.write(`${JSON.stringify({ id: 1, op, args })}\n`));
    sock.on('data', (d: string) => {
      buf += d;
      const i = buf.indexOf('\n');
      if (i < 0) return;
      clearTimeout(timer);
      sock.end();
      try {
        const r = JSON.parse(buf.slice(0, i)) as { ok: boolean; result?: unknown; error?: { code: string; message: string; details?: Record<string, unknown> } };
        if (r.ok) resolve(r.result);
        else reject(new RemoteError(r.error?.code ?? 'MDH_ERR_CONTROL_BAD_REQUEST', r.error?.message ?? 'failed', r.error?.details ?? {}));
      } catch (err) {
        reject(err);
      }
    });
    sock.on('error', (err) => {
      clearTimeout(timer);
      reject(new MdhubError('MDH_ERR_HUB_NOT_RUNNING', { socket: socketPath, reason: (err as Error).message }, err));
    });
  });
}
