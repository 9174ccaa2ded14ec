'use client';
/**
 * The dashboard's live state (zustand), fed by the hub's WebSocket (live.ts): each source's figures every
 * second with a rolling history for the charts, the overview, counters, status events and log records.
 * It outlives page changes, so the charts keep their minutes while the admin moves around.
 */
import { create } from 'zustand';
import type { Counters, LogRecord, Overview, SourceLive } from './types';

/** Seconds of history the charts keep (15 minutes at one point a second). */
export const HISTORY = 900;
/** Log records kept in the browser (the live log page virtualises them). */
export const MAX_LOGS = 50_000;

export interface SourcePoint {
  t: number;
  ticks_per_s: number;
  behind_ms: number | null;
  lag_p50_ms: number | null;
  lag_p99_ms: number | null;
  win_share: number | null;
  offset_p50_ms: number | null;
  offset_p99_ms: number | null;
  /** Copies rejected by cleansing per second since the point before. */
  rejected_per_s: number | null;
  rejected_total: number;
}

export interface HubPoint {
  t: number;
  published_per_s: number | null;
  latency_p50_us: number | null;
  latency_p99_us: number | null;
}

export type Connection = 'connecting' | 'open' | 'closed';

interface LiveState {
  connection: Connection;
  connectionError: string | null;
  /** When the last message arrived (ms). */
  lastMessageAt: number | null;
  sources: SourceLive[] | null;
  sourcesAt: number | null;
  history: Record<string, SourcePoint[]>;
  overview: Overview | null;
  hubHistory: HubPoint[];
  counters: Counters | null;
  events: Array<Record<string, unknown>>;
  logs: LogRecord[];
  /** Bumped when logs change (the array is mutated in place for speed). */
  logsVersion: number;
  dropped: number;
  setConnection(c: Connection, error?: string | null): void;
  onSources(data: SourceLive[], dropped: number): void;
  onOverview(o: Overview): void;
  onCounters(c: Counters): void;
  onEvent(ev: Record<string, unknown>): void;
  addLogs(records: LogRecord[]): void;
  seedLogs(records: LogRecord[]): void;
  reset(): void;
}

function push<T>(arr: T[], v: T, max: number): T[] {
  const next = arr.length >= max ? arr.slice(arr.length - max + 1) : arr.slice();
  next.push(v);
  return next;
}

export const useLive = create<LiveState>((set, get) => ({
  connection: 'connecting',
  connectionError: null,
  lastMessageAt: null,
  sources: null,
  sourcesAt: null,
  history: {},
  overview: null,
  hubHistory: [],
  counters: null,
  events: [],
  logs: [],
  logsVersion: 0,
  dropped: 0,
  setConnection: (connection, error = null) => set({ connection, connectionError: error }),
  onSources: (data, dropped) => {
    const t = Date.now();
    const history = { ...get().history };
    for (const s of data) {
      const prev = history[s.id]?.at(-1);
      const rejectedPerS = prev && s.rejected >= prev.rejected_total && t > prev.t ? ((s.rejected - prev.rejected_total) * 1000) / (t - prev.t) : null;
      history[s.id] = push(history[s.id] ?? [], {
        t, ticks_per_s: s.ticks_per_s, behind_ms: s.behind_ms,
        lag_p50_ms: s.quality?.lag_p50_ms ?? null, lag_p99_ms: s.quality?.lag_p99_ms ?? null, win_share: s.quality ? s.quality.win_share : null,
        offset_p50_ms: s.quality?.clock_offset_p50_ms ?? null, offset_p99_ms: s.quality?.clock_offset_p99_ms ?? null,
        rejected_per_s: rejectedPerS, rejected_total: s.rejected,
      }, HISTORY);
    }
    set({ sources: data, sourcesAt: t, history, dropped, lastMessageAt: t });
  },
  onOverview: (o) => set({
    overview: o, lastMessageAt: Date.now(),
    hubHistory: push(get().hubHistory, { t: Date.now(), published_per_s: o.published_per_s, latency_p50_us: o.latency.p50_us, latency_p99_us: o.latency.p99_us }, HISTORY),
  }),
  onCounters: (counters) => set({ counters, lastMessageAt: Date.now() }),
  onEvent: (ev) => {
    // Health and connection changes show at once, not at the next once-a-second figures.
    let sources = get().sources;
    const id = typeof ev['source'] === 'string' ? ev['source'] : null;
    if (sources && id && (ev['kind'] === 'source_health' || ev['kind'] === 'source_state')) {
      sources = sources.map((s) => (s.id !== id ? s : ev['kind'] === 'source_health'
        ? { ...s, health: ev['health'] as SourceLive['health'], health_reason: (ev['reason'] as string | undefined) ?? null, feeding: ev['feeding'] === true }
        : { ...s, state: String(ev['state']), reason: (ev['reason'] as string | undefined) ?? null }));
    }
    set({ events: push(get().events, ev, 500), sources, lastMessageAt: Date.now() });
  },
  addLogs: (records) => {
    const logs = get().logs;
    logs.push(...records);
    if (logs.length > MAX_LOGS) logs.splice(0, logs.length - MAX_LOGS);
    set({ logsVersion: get().logsVersion + 1, lastMessageAt: Date.now() });
  },
  seedLogs: (records) => {
    // The API answers newest first; the page shows oldest first. Keep live records that arrived meanwhile.
    const seeded = records.slice().reverse();
    const newest = seeded.length > 0 ? seeded[seeded.length - 1]!.ts : 0;
    const live = get().logs.filter((r) => r.ts > newest);
    const logs = seeded.concat(live).slice(-MAX_LOGS);
    set({ logs, logsVersion: get().logsVersion + 1 });
  },
  reset: () => set({ sources: null, sourcesAt: null, history: {}, overview: null, hubHistory: [], counters: null, events: [], logs: [], logsVersion: 0, dropped: 0 }),
}));

/** The session: unknown until /api/session answers. */
interface SessionState {
  status: 'unknown' | 'in' | 'out';
  user: string | null;
  mustChange: boolean;
  set(s: { status: 'unknown' | 'in' | 'out'; user?: string | null; mustChange?: boolean }): void;
}

export const useSession = create<SessionState>((set) => ({
  status: 'unknown',
  user: null,
  mustChange: false,
  set: (s) => set({ status: s.status, user: s.user ?? null, mustChange: s.mustChange ?? false }),
}));
