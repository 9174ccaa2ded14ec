/**
 * The hub's HTTP listener (`--http HOST:PORT`, loopback by default): `/healthz` (GET and HEAD; 503 only
 * when the hub is down) and `/metrics` (Prometheus), both without login, and the control API under
 * `/api` (api/app.ts: everything but the login needs a session), its WebSocket `/api/ws`, and the dashboard's
 * static files (static-files.ts) on every other path.
 */
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import { MdhubError } from '../errors.js';
import type { HealthReport } from './health.js';
import type { HubMetrics } from './metrics.js';
import type { StaticFiles } from './static-files.js';

/** Parses `HOST:PORT` (`[::1]:7700` too), or `off`. */
export function parseHostPort(value: string): { host: string; port: number } | null {
  if (value === 'off') return null;
  const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(value);
  const port = m ? Number(m[2]) : NaN;
  if (!m || port > 65_535) throw new MdhubError('MDH_ERR_CONFIG_INVALID', { setting: 'http', value, reason: `http: HOST:PORT (port 0 to 65535) or off, got ${JSON.stringify(value)}` });
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port };
}

export class HttpServer {
  private server: http.Server | null = null;
  /** `HOST:PORT` actually bound (the port read back when 0 was asked for). */
  address: string | null = null;

  constructor(
    private readonly listen: string, private readonly health: () => HealthReport, private readonly metrics: HubMetrics,
    /** The control API (`/api/*`), when the hub serves one. */
    private readonly api?: (req: http.IncomingMessage, res: http.ServerResponse) => void,
    /** WebSocket upgrades of `/api/ws`. */
    private readonly upgrade?: (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => void,
    /** The dashboard's files. */
    private readonly files?: StaticFiles,
    /** PEM files: serve https (and wss) instead of http. */
    private readonly tls?: { cert: string; key: string },
  ) {}

  /** `https` when the listener has TLS. */
  get scheme(): 'http' | 'https' {
    return this.tls ? 'https' : 'http';
  }

  async start(): Promise<string | null> {
    const hp = parseHostPort(this.listen);
    if (!hp) return null;
    const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => void this.serve(req, res);
    let server: http.Server;
    if (this.tls) {
      const read = (setting: 'tlsCert' | 'tlsKey', file: string): Buffer => {
        try {
          return fs.readFileSync(file);
        } catch (err) {
          throw new MdhubError('MDH_ERR_CONFIG_FILE_UNREADABLE', { setting, file, reason: (err as Error).message }, err);
        }
      };
      const cert = read('tlsCert', this.tls.cert);
      const key = read('tlsKey', this.tls.key);
      try {
        server = https.createServer({ cert, key }, handler);
      } catch (err) {
        throw new MdhubError('MDH_ERR_CONFIG_INVALID', { setting: 'tlsCert', reason: `the TLS certificate and key do not make a server: ${(err as Error).message}` }, err);
      }
    } else {
      server = http.createServer(handler);
    }
    server.on('upgrade', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
      socket.on('error', () => socket.destroy());
      if (this.upgrade && new URL(req.url ?? '/', 'http://x').pathname === '/api/ws') this.upgrade(req, socket, head);
      else socket.end('HTTP/1.1 404 Not Found\r\nconnection: close\r\n\r\n');
    });
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(hp.port, hp.host, () => resolve());
      });
    } catch (err) {
      const code = (err as { code?: string }).code;
      throw new MdhubError(code === 'EADDRINUSE' ? 'MDH_ERR_CONFIG_ADDRESS_IN_USE' : 'MDH_ERR_CONFIG_BIND_FAILED', {
        setting: 'http', value: this.listen, reason: `--http ${this.listen}: ${(err as Error).message}`, ...(code ? { os_code: code } : {}),
      }, err);
    }
    this.server = server;
    const a = server.address();
    this.address = typeof a === 'object' && a ? `${hp.host.includes(':') ? `[${hp.host}]` : hp.host}:${a.port}` : this.listen;
    return this.address;
  }

  private async serve(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    try {
      const url = new URL(req.url ?? '/', 'http://x');
      if (this.api && (url.pathname === '/api' || url.pathname.startsWith('/api/'))) return this.api(req, res);
      const get = req.method === 'GET' || req.method === 'HEAD';
      if (get && url.pathname === '/healthz') {
        const r = this.health();
        const body = JSON.stringify(r);
        res.writeHead(r.status === 'down' ? 503 : 200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
        res.end(req.method === 'HEAD' ? undefined : body);
        return;
      }
      if (get && url.pathname === '/metrics') {
        const text = await this.metrics.render();
        res.writeHead(200, { 'content-type': this.metrics.contentType });
        res.end(req.method === 'HEAD' ? undefined : text);
        return;
      }
      if (this.files && (await this.files.serve(req, res, url.pathname))) return;
      if (this.files && (await this.files.notFound(req, res))) return;
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'not found' }));
    } catch (err) {
      if (res.headersSent) return void res.destroy();
      res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: String(err) }));
    }
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }
}
