/** What the hub's API and WebSocket send (docs/api.md), as far as the dashboard reads it. */
export type Health = 'ok' | 'degraded' | 'stale' | 'restarting' | 'dead' | 'circuit_open' | 'stopped';

export interface Quality {
  copies: number;
  wins: number;
  win_share: number;
  lag_p50_ms: number | null;
  lag_p99_ms: number | null;
  clock_offset_p50_ms: number | null;
  clock_offset_p99_ms: number | null;
}

export interface CanaryAge {
  group: string;
  product: string;
  instrument: string | null;
  age_ms: number | null;
  behind_ms: number | null;
}

export interface SourceLive {
  id: string;
  state: string;
  reason: string | null;
  health: Health | null;
  health_reason: string | null;
  feeding: boolean;
  pid: number | null;
  restarts: number;
  breaker: 'closed' | 'open' | 'half_open';
  ticks_per_s: number;
  /** Copies received and rejected by cleansing in this run. */
  received: number;
  rejected: number;
  behind_ms: number | null;
  data_age_ms: number | null;
  quality: Quality | null;
  canaries: CanaryAge[];
}

export interface Alert {
  alert: string;
  severity: 'info' | 'warning' | 'critical';
  message: string;
  source?: string;
  group?: string;
  code?: string;
  ts: number;
}

export interface Overview {
  hub_id: string;
  run_id: string;
  version: string;
  simulated: boolean;
  started_at: number;
  uptime_s: number;
  status: 'ok' | 'degraded' | 'down';
  reasons: string[];
  db: { up: boolean; revision: number; error: string | null };
  seq: number;
  instruments: number;
  /** null on the hub's first read (no interval yet). */
  published_per_s: number | null;
  latency: { count: number; p50_us: number | null; p99_us: number | null };
  instrument_states: { ok: number; stale: number; suspect: number };
  sources: Array<{ id: string; state: string; reason: string | null; restarts: number; health: Health | null; health_reason: string | null; feeding: boolean }>;
  alerts: Alert[];
}

export interface Counters {
  seq: number;
  instruments: number;
  sources: Record<string, Record<string, number | boolean>>;
  rejections: Array<{ rule: string; source?: string; count: number }> | Record<string, unknown>;
  instrument_states: { ok: number; stale: number; suspect: number };
}

export interface LogRecord {
  level: 'debug' | 'info' | 'warn' | 'error';
  ts: number;
  msg: string;
  area?: string;
  code?: string;
  details?: Record<string, unknown>;
}

export interface Account {
  id: string;
  broker_id: string;
  user_id: string;
  front: string[] | string;
  enabled?: boolean;
  has_password: boolean;
  has_auth_code: boolean;
  [k: string]: unknown;
}
