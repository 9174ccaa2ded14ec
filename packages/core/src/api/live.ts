/**
 * The control API's WebSocket (`/api/ws`): live state for the dashboard. A client with a session (the
 * cookie, or `?token=` for scripts) from an allowed origin connects and sends
 * `{op: "subscribe", topics: [...], log_level?: "warn"}`:
 * - `status`: every status event (source health and state, failovers, restarts, breaker, canaries,
 *   per-instrument states, group events …) as it happens;
 * - `logs`: log records at or above `log_level` (default `info`);
 * - `sources`: every second, each source's state, health and reason, tick rate, lag behind the winner,
 *   win share and canary ages;
 * - `counters`: every 5 s, the data plane's counters;
 * - `hub`: every second, the overview (up-time, published rate, hub latency, sources, recent alerts).
 * Messages are JSON `{topic, ...}`. A client that does not keep up loses messages (counted in
 * `dropped`, sent with the next `sources` message), never the hub's time: nothing waits for a socket.
 */
import type http from 'node:http';
import type net from 'node:net';
import { WebSocketServer } from 'ws';
import type WebSocket from 'ws';
import type { LogRecord } from '@mdhub/protocol';
import { z } from 'zod';
import type { Sessions } from './sessions.js';
import { SESSION_COOKIE } from './app.js';

export const LIVE_TOPICS = ['status', 'logs', 'sources', 'counters', 'hub'] as const;
export type LiveTopic = (typeof LIVE_TOPICS)[number];

const Subscribe = z.strictObject({
  op: z.literal('subscribe'),
  topics: z.array(z.enum(LIVE_TOPICS)).max(LIVE_TOPICS.length),
  log_level: z.enum(['debug', 'info', 'warn', 'error']).optional(),
});
const RANK: Record<string, number> = { debug: 0, info: 1, warn: 2, error: 3 };
/** Bytes a client may have waiting before its messages are dropped. */
const MAX_BUFFERED = 4 * 1024 * 1024;

interface Client {
  ws: WebSocket;
  user: string;
  topics: Set<LiveTopic>;
  logLevel: number;
  dropped: number;
}

export interface LiveOptions {
  sessions: Sessions;
  allowedOrigins?: readonly string[];
  /** Each source's live figures (every second). */
  sources(): Promise<unknown>;
  /** The data plane's counters (every 5 s). */
  counters(): Promise<unknown>;
  /** The overview (every second): up-time, published rate, hub latency, sources, recent alerts. */
  hub?(): Promise<unknown>;
}

export class LiveFeed {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  private readonly clients = new Set<Client>();
  private readonly timers: NodeJS.Timeout[] = [];

  constructor(private readonly o: LiveOptions) {
    this.timers.push(
      setInterval(() => void this.tick('sources'), 1000), setInterval(() => void this.tick('counters'), 5000), setInterval(() => void this.tick('hub'), 1000),
    );
    for (const t of this.timers) t.unref();
  }

  get size(): number {
    return this.clients.size;
  }

  /** The HTTP server's `upgrade` for `/api/ws`: a session and an allowed origin, or the request is refused. */
  upgrade(req: http.IncomingMessage, socket: net.Socket, head: Buffer): void {
    const refuse = (status: number, code: string): void => {
      socket.end(`HTTP/1.1 ${status} ${status === 401 ? 'Unauthorized' : 'Forbidden'}\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n${JSON.stringify({ error: { code } })}`);
    };
    const url = new URL(req.url ?? '/', 'http://x');
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== `http://${req.headers.host}` && origin !== `https://${req.headers.host}` && !(this.o.allowedOrigins ?? []).includes(origin)) return refuse(403, 'MDH_ERR_API_FORBIDDEN_ORIGIN');
    const cookie = (req.headers.cookie ?? '').split(/;\s*/).find((c) => c.startsWith(`${SESSION_COOKIE}=`))?.slice(SESSION_COOKIE.length + 1);
    const session = this.o.sessions.get(url.searchParams.get('token') ?? cookie);
    if (!session) return refuse(401, 'MDH_ERR_API_UNAUTHORIZED');
    if (session.mustChange) return refuse(403, 'MDH_ERR_API_PASSWORD_CHANGE_REQUIRED');
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      const c: Client = { ws, user: session.user, topics: new Set(), logLevel: RANK['info']!, dropped: 0 };
      this.clients.add(c);
      ws.on('message', (data) => {
        let msg: unknown;
        try {
          msg = JSON.parse(String(data));
        } catch {
          msg = null;
        }
        const r = Subscribe.safeParse(msg);
        if (!r.success) {
          this.send(c, { topic: 'error', error: { code: 'MDH_ERR_API_BAD_REQUEST', message: 'send {op: "subscribe", topics: ["status", "logs", "sources", "counters"], log_level?}' } }, true);
          return;
        }
        c.topics = new Set(r.data.topics);
        c.logLevel = RANK[r.data.log_level ?? 'info']!;
        this.send(c, { topic: 'subscribed', topics: [...c.topics], log_level: r.data.log_level ?? 'info' }, true);
        if (c.topics.has('sources')) void this.tick('sources', c);
        if (c.topics.has('hub')) void this.tick('hub', c);
        if (c.topics.has('counters')) void this.tick('counters', c);
      });
      ws.on('close', () => this.clients.delete(c));
      ws.on('error', () => this.clients.delete(c));
    });
  }

  /** A status event (from the control plane or the data plane). */
  status(ev: Record<string, unknown>): void {
    for (const c of this.clients) if (c.topics.has('status')) this.send(c, { topic: 'status', event: ev });
  }

  /** A log record. */
  log(rec: LogRecord): void {
    const rank = RANK[rec.level] ?? 1;
    for (const c of this.clients) if (c.topics.has('logs') && rank >= c.logLevel) this.send(c, { topic: 'logs', record: rec });
  }

  private async tick(topic: 'sources' | 'counters' | 'hub', only?: Client): Promise<void> {
    const targets = [...this.clients].filter((c) => c.topics.has(topic) && (!only || c === only));
    if (targets.length === 0) return;
    let data: unknown;
    try {
      if (topic === 'hub' && !this.o.hub) return;
      data = await (topic === 'sources' ? this.o.sources() : topic === 'hub' ? this.o.hub!() : this.o.counters());
    } catch {
      return; // the data plane did not answer in time: the next tick tries again
    }
    for (const c of targets) this.send(c, { topic, ...(topic === 'sources' ? { dropped: c.dropped } : {}), data });
  }

  /** Sends unless the client is too far behind (then the message is dropped and counted). */
  private send(c: Client, msg: Record<string, unknown>, always = false): void {
    if (c.ws.readyState !== c.ws.OPEN) return;
    if (!always && c.ws.bufferedAmount > MAX_BUFFERED) {
      c.dropped++;
      return;
    }
    c.ws.send(JSON.stringify(msg));
  }

  close(): void {
    for (const t of this.timers) clearInterval(t);
    for (const c of this.clients) c.ws.terminate();
    this.clients.clear();
    this.wss.close();
  }
}
