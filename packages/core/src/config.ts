import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { MdhubError } from './errors.js';

/** Hub configuration: file (`--config FILE`, JSON) < environment < command-line flags. */
export const HubConfigSchema = z.object({
  /** Folder for the embedded database, the ready file and the record of child processes. */
  dataDir: z.string().default('.mdhub'),
  /** Database URL (`sqlite:PATH`); default: the embedded SQLite file in dataDir. Also MDHUB_DB_URL. */
  db: z.string().optional(),
  /** PUB endpoint for ticks, status, log and heartbeat. Default loopback; exposing it is a choice. */
  pub: z.string().default('tcp://127.0.0.1:7701'),
  /** Snapshot service (ROUTER) endpoint. */
  snapshot: z.string().default('tcp://127.0.0.1:7702'),
  /** HTTP listener HOST:PORT (`/healthz`, `/metrics`), or `off`. */
  http: z.string().default('127.0.0.1:7700'),
  hubId: z.string().regex(/^[A-Za-z0-9_-]{1,32}$/).default(() => os.hostname().replace(/[^A-Za-z0-9_-]/g, '').slice(0, 24) || 'hub'),
  /** Gateway → core link transport: abstract ipc sockets (default) or tcp loopback. */
  linkTransport: z.enum(['ipc', 'tcp']).default('ipc'),
  /** ZMQ_SNDHWM of the PUB socket per subscriber, in messages. */
  sendHighWaterMark: z.number().int().positive().default(100_000),
  /** Simulated hubs: market time at start (ISO with offset). Default: latest trading day 09:35 Shanghai. */
  simAnchor: z.string().optional(),
  /** Simulated hubs: market ms per real ms. */
  clockRate: z.number().positive().default(1),
  /** Cleansing before arbitration: `options` is the pipeline configuration (docs/cleansing.md). */
  cleansing: z.object({
    enabled: z.boolean().default(true),
    options: z.record(z.string(), z.unknown()).optional(),
    plugins: z.array(z.string()).optional(),
  }).default({ enabled: true }),
  logLevel: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  logFormat: z.enum(['json', 'pretty']).optional(),
});

export type HubConfig = z.infer<typeof HubConfigSchema>;
export type HubConfigInput = z.input<typeof HubConfigSchema>;

export function parseHubConfig(input: unknown, source = 'config'): HubConfig {
  const r = HubConfigSchema.safeParse(input ?? {});
  if (!r.success) {
    throw new MdhubError('MDH_ERR_CONFIG_INVALID', {
      source, reason: r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; '),
    });
  }
  return r.data;
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
export function embeddedDbUrl(cfg: HubConfig): string {
  return `sqlite:${path.join(cfg.dataDir, 'mdhub.sqlite')}`;
}
