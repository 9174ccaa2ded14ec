'use client';
/**
 * The WebSocket to the hub (`/api/ws`): subscribes to every topic, feeds the store, and reconnects with a
 * growing pause (0.5 s doubling to 5 s) when the hub restarts or the network drops. Log records come in
 * bursts; they are handed to the store once per animation frame, not one by one.
 */
import { useLive } from './store';
import type { Counters, LogRecord, Overview, SourceLive } from './types';

let socket: WebSocket | null = null;
let wanted = false;
let retry: ReturnType<typeof setTimeout> | null = null;
let backoff = 500;
let pendingLogs: LogRecord[] = [];
let flushScheduled = false;

function flushLogs(): void {
  flushScheduled = false;
  if (pendingLogs.length === 0) return;
  const batch = pendingLogs;
  pendingLogs = [];
  useLive.getState().addLogs(batch);
}

function connect(onUnauthorized: () => void): void {
  const live = useLive.getState();
  live.setConnection('connecting');
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/ws`;
  const ws = new WebSocket(url);
  socket = ws;
  let opened = false;
  ws.onopen = () => {
    opened = true;
    backoff = 500;
    useLive.getState().setConnection('open');
    ws.send(JSON.stringify({ op: 'subscribe', topics: ['status', 'logs', 'sources', 'counters', 'hub'], log_level: 'debug' }));
  };
  ws.onmessage = (e) => {
    let m: { topic?: string; data?: unknown; event?: Record<string, unknown>; record?: LogRecord; dropped?: number };
    try {
      m = JSON.parse(String(e.data)) as typeof m;
    } catch {
      return;
    }
    const s = useLive.getState();
    switch (m.topic) {
      case 'sources': s.onSources(m.data as SourceLive[], m.dropped ?? 0); break;
      case 'hub': s.onOverview(m.data as Overview); break;
      case 'counters': s.onCounters(m.data as Counters); break;
      case 'status': if (m.event) s.onEvent(m.event); break;
      case 'logs':
        if (m.record) {
          pendingLogs.push(m.record);
          if (!flushScheduled) {
            flushScheduled = true;
            requestAnimationFrame(flushLogs);
          }
        }
        break;
      default: break;
    }
  };
  ws.onclose = () => {
    if (socket === ws) socket = null;
    if (!wanted) return;
    useLive.getState().setConnection('closed', opened ? 'the connection to the hub closed' : 'the hub refused or did not answer');
    // A refused upgrade may mean the session ended: the shell checks and sends the admin to the login.
    if (!opened) onUnauthorized();
    retry = setTimeout(() => connect(onUnauthorized), backoff);
    backoff = Math.min(5000, backoff * 2);
  };
}

/** Opens the live connection (once); `onRefused` runs when the hub refuses it (session over?). */
export function startLive(onRefused: () => void): void {
  if (wanted) return;
  wanted = true;
  connect(onRefused);
}

export function stopLive(): void {
  wanted = false;
  if (retry) clearTimeout(retry);
  retry = null;
  socket?.close();
  socket = null;
  useLive.getState().reset();
}
