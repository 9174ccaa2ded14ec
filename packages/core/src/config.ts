import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { MdhubError } from './errors.js';
import { redactUrl } from './store/url.js';

/** `tcp://HOST:PORT` (`*` for any port, `0.0.0.0` / `*` for any interface) or `ipc://PATH`. */
const Endpoint = z.string().refine((v) => {
  if (/^ipc:\/\/.{1,100}$/.test(v)) return true;
  const m = /^tcp:\/\/(\*|[A-Za-z0-9.-]+|\[[0-9a-fA-F:.]+\]):(\*|\d{1,5})$/.exec(v);
  return m !== null && (m[2] === '*' || Number(m[2]) <= 65_535);
}, 'an endpoint tcp://HOST:PORT (PORT * for a free one) or ipc://PATH');

/** Process settings only: groups, gateways, plugins and cleansing live in the database. */
export const HubConfigSchema = z.strictObject({
  /** Folder for the embedded database, the ready file, the key file and the record of child processes. */
  dataDir: z.string().min(1).max(200).default('.mdhub'),
  /** Database URL: `sqlite:PATH`, `mysql://…`, `mongodb://…`. Default: the embedded SQLite file in dataDir. Also MDHUB_DB_URL. */
  db: z.string().min(1).max(2000).optional(),
  /** PUB endpoint for ticks, status, log and heartbeat. Default loopback; exposing it is a choice. */
  pub: Endpoint.default('tcp://127.0.0.1:7701'),
  /** Snapshot service (ROUTER) endpoint. */
  snapshot: Endpoint.default('tcp://127.0.0.1:7702'),
  /** HTTP listener HOST:PORT (`/healthz`, `/metrics`), or `off`. */
  http: z.string().regex(/^(off|(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5}))$/, 'HOST:PORT or off')
    .refine((v) => v === 'off' || Number(v.slice(v.lastIndexOf(':') + 1)) <= 65_535, 'port 0 to 65535').default('127.0.0.1:7700'),
  /**
   * Origins (scheme://host:port) besides the hub's own allowed to make state-changing API requests and open
   * the live WebSocket with a session: a dashboard served from another address, or a reverse proxy's.
   */
  allowedOrigins: z.array(z.string().regex(/^https?:\/\/[A-Za-z0-9.:[\]-]{1,200}$/, 'an origin scheme://host[:port], no path')).max(20).default([]),
  /** TLS for the HTTP listener (PEM files): the dashboard, the API and its WebSocket over https / wss. */
  tlsCert: z.string().min(1).max(400).optional(),
  tlsKey: z.string().min(1).max(400).optional(),
  /**
   * Plain HTTP on an address other than loopback (the logins and session cookies cross the network in the
   * clear): only behind a TLS reverse proxy, or on a network you trust. Without it such a bind needs TLS.
   */
  insecureHttp: z.boolean().default(false),
  /** The dashboard's built files (a Next.js static export) served on the HTTP port; `off` serves none. Default: @mdhub/dashboard's out/. */
  dashboard: z.string().min(1).max(400).optional(),
  hubId: z.string().regex(/^[A-Za-z0-9_-]{1,32}$/, '1 to 32 letters, digits, _ or -').default(() => os.hostname().replace(/[^A-Za-z0-9_-]/g, '').slice(0, 24) || 'hub'),
  /** Gateway → core link transport: abstract ipc sockets (default) or tcp loopback. */
  linkTransport: z.enum(['ipc', 'tcp']).default('ipc'),
  /** ZMQ_SNDHWM of the PUB socket per subscriber, in messages (a libzmq int: 2^31 or more crashed the data plane). */
  sendHighWaterMark: z.number().int().min(1).max(10_000_000).default(100_000),
  /** Simulated hubs: market time at start (ISO with offset). Default: latest trading day 09:35 Shanghai. */
  simAnchor: z.string().refine((v) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(v) && !Number.isNaN(Date.parse(v)), 'an ISO time with its offset, e.g. 2026-11-25T09:35:00+08:00').optional(),
  /** Simulated hubs: market ms per real ms. */
  clockRate: z.number().positive().max(1000).default(1),
  /** How often the hub polls the configuration revision, ms. */
  configPollMs: z.number().int().min(100).max(60_000).default(1000),
  logLevel: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  logFormat: z.enum(['json', 'pretty']).optional(),
  /** Folder of the rotated JSON log files (a new file daily and at logFileMb), or `off`. Default: `<dataDir>/logs`. */
  logDir: z.string().min(1).max(400).optional(),
  /** Log files kept in all, the current one included (older ones are deleted when a file rotates). */
  logFilesKept: z.number().int().min(1).max(1000).default(14),
  /** Largest log file before it rotates, MB. */
  logFileMb: z.number().int().min(1).max(10_000).default(100),
});

/** Where a hub's log files go: `null` when they are off. */
export function logFileOptions(c: Pick<HubConfig, 'dataDir' | 'logDir' | 'logFilesKept' | 'logFileMb'>): { dir: string; keep: number; maxBytes: number } | null {
  if (c.logDir === 'off') return null;
  return { dir: c.logDir ?? path.join(c.dataDir, 'logs'), keep: c.logFilesKept, maxBytes: c.logFileMb * 1024 * 1024 };
}

export type HubConfig = z.infer<typeof HubConfigSchema>;

/** Whether a host name or address is this machine only. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/**
 * The HTTP listener's safety rule: one of the TLS files without the other is an error, and a listener
 * beyond loopback needs TLS or an explicit `insecureHttp` (logins and session cookies would cross the
 * network in the clear).
 */
export function checkHttpExposure(c: Pick<HubConfig, 'http' | 'tlsCert' | 'tlsKey' | 'insecureHttp'>, origins: Record<string, string> = {}): void {
  if ((c.tlsCert === undefined) !== (c.tlsKey === undefined)) {
    const setting = c.tlsCert === undefined ? 'tlsCert' : 'tlsKey';
    throw new MdhubError('MDH_ERR_CONFIG_INVALID', { source: origins[setting] ?? 'settings', setting, reason: 'TLS needs both a certificate (--tls-cert) and its key (--tls-key)' });
  }
  if (c.http === 'off' || c.tlsCert !== undefined || c.insecureHttp) return;
  const host = c.http.slice(0, c.http.lastIndexOf(':'));
  if (isLoopback(host)) return;
  throw new MdhubError('MDH_ERR_CONFIG_INVALID', {
    source: origins['http'] ?? 'settings', setting: 'http', value: c.http,
    reason: `--http ${c.http} serves the dashboard and its logins beyond this machine: give --tls-cert FILE --tls-key FILE, or --insecure-http to accept plain HTTP (behind a TLS reverse proxy, or on a network you trust)`,
  });
}
export type HubConfigInput = z.input<typeof HubConfigSchema>;

/** Settings that moved into the database, with where they are now. */
const MOVED: Record<string, string> = {
  cleansing: 'cleansing settings live in the database now: npx mdhub settings set cleansing JSON, and filter plugins: npx mdhub plugin add PACKAGE',
};

/**
 * Validates the hub configuration (file < environment < flags, merged by the caller). Unknown keys,
 * wrong types and out-of-range values are MDH_ERR_CONFIG_INVALID naming the setting, its value and
 * where it came from.
 */
export function parseHubConfig(input: unknown, source = 'config', origins: Record<string, string> = {}): HubConfig {
  const obj = (input ?? {}) as Record<string, unknown>;
  for (const [k, why] of Object.entries(MOVED)) {
    if (typeof obj === 'object' && obj !== null && k in obj) throw new MdhubError('MDH_ERR_CONFIG_INVALID', { source: origins[k] ?? source, setting: k, reason: why });
  }
  const r = HubConfigSchema.safeParse(obj);
  if (r.success) {
    checkHttpExposure(r.data, origins);
    return r.data;
  }
  const first = r.error.issues[0]!;
  const unknownKeys = first.code === 'unrecognized_keys' ? (first as { keys?: string[] }).keys ?? [] : [];
  const setting = unknownKeys[0] ?? first.path.map(String).join('.');
  const known = Object.keys(HubConfigSchema.shape);
  const near = unknownKeys.length > 0 ? known.find((k) => k.toLowerCase() === setting.toLowerCase() || k.toLowerCase().startsWith(setting.toLowerCase().slice(0, 3))) : undefined;
  throw new MdhubError('MDH_ERR_CONFIG_INVALID', {
    source: origins[setting] ?? source,
    setting,
    // the value, with any password of a URL in it hidden (a misspelled db key must not print its password)
    ...(setting in obj ? { value: typeof obj[setting] === 'string' ? redactUrl(obj[setting]) : obj[setting] } : {}),
    reason: r.error.issues.map((i) => (i.code === 'unrecognized_keys'
      ? `unknown setting ${((i as { keys?: string[] }).keys ?? []).join(', ')}${near ? ` (did you mean ${near}?)` : ''}; known: ${known.join(', ')}`
      : `${i.path.map(String).join('.') || '(root)'}: ${i.message}`)).join('; '),
  });
}

export function readConfigFile(file: string): Record<string, unknown> {
  try {
    const v = JSON.parse(fs.readFileSync(file, 'utf8')) as unknown;
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('top level must be an object');
    return v as Record<string, unknown>;
  } catch (err) {
    throw new MdhubError('MDH_ERR_CONFIG_FILE_UNREADABLE', { file, reason: (err as Error).message }, err);
  }
}

/** The embedded default: SQLite in the data folder. */
export function embeddedDbUrl(dataDir: string): string {
  return `sqlite:${path.join(dataDir, 'mdhub.sqlite')}`;
}
