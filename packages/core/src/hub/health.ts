/**
 * The hub's own health, as `/healthz` reports it: `down` (503) when the data plane is dead or silent or
 * PUB is not bound; `degraded` when the configuration database is unreachable (ticks flow on the last
 * applied configuration) or an enabled gateway could not be started; `ok` otherwise. Per-source health
 * (canaries, staleness) comes with the health issue.
 */
import type { GatewayInfo } from '../gateway/supervisor.js';
import type { DbState } from './reconciler.js';

export type HubStatus = 'ok' | 'degraded' | 'down';

export interface HealthReport {
  status: HubStatus;
  reasons: string[];
  hub_id: string;
  run_id: string;
  simulated: boolean;
  db: { up: boolean; since: number; revision: number; error: string | null };
  sources: GatewayInfo[];
}

export interface HealthInputs {
  hubId: string;
  runId: string;
  simulated: boolean;
  dataplane: { alive: boolean; reason: string | null };
  pubBound: boolean;
  db: DbState;
  sources: GatewayInfo[];
  /** Enabled gateways this hub does not run, with their error codes. */
  skipped: Array<{ id: string; code: string }>;
  /** Configuration rows the store could not parse (skipped). */
  bad: Array<{ table: string; key: string }>;
}

/** Pure: the report for the given inputs. */
export function healthReport(i: HealthInputs): HealthReport {
  const down: string[] = [];
  const degraded: string[] = [];
  if (!i.dataplane.alive) down.push(`data plane dead: ${i.dataplane.reason ?? 'unknown'}`);
  if (!i.pubBound) down.push('PUB socket not bound');
  if (!i.db.up) degraded.push(`configuration database unreachable since ${new Date(i.db.since).toISOString()}: ${i.db.lastError ?? ''}`.trim());
  for (const s of i.skipped) degraded.push(`gateway ${s.id} not started (${s.code})`);
  for (const b of i.bad) degraded.push(`configuration row ${b.table}/${b.key} skipped (MDH_ERR_DB_BAD_ROW)`);
  const status: HubStatus = down.length > 0 ? 'down' : degraded.length > 0 ? 'degraded' : 'ok';
  return {
    status, reasons: [...down, ...degraded], hub_id: i.hubId, run_id: i.runId, simulated: i.simulated,
    db: { up: i.db.up, since: i.db.since, revision: i.db.revision, error: i.db.lastError }, sources: i.sources,
  };
}
