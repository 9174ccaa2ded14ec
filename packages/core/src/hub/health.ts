/**
 * The hub's own health, as `/healthz` reports it: `down` (503) when the data plane is dead or silent, PUB
 * is not bound, or a group inside its trading session has no feeding source; `degraded` when a source
 * does not feed (stale, restarting, dead, circuit open), a group's canaries are silent on every source,
 * the configuration database is unreachable (ticks flow on the last applied configuration), an enabled
 * gateway could not be started, or no gateway runs; `ok` otherwise.
 */
import type { GatewayInfo } from '../gateway/supervisor.js';
import type { DbState } from './reconciler.js';
import type { SourceHealthValue, SourceHealthView } from './source-health.js';

export type HubStatus = 'ok' | 'degraded' | 'down';

export interface HealthReport {
  status: HubStatus;
  reasons: string[];
  hub_id: string;
  run_id: string;
  simulated: boolean;
  db: { up: boolean; since: number; revision: number; error: string | null };
  sources: Array<GatewayInfo & { health: SourceHealthValue | null; health_reason: string | null; feeding: boolean }>;
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
  /** The health monitor's view: each source, groups in session with no feeding source, groups silent on every source. */
  health?: { sources: SourceHealthView[]; down: string[]; silent: string[] };
}

/** Pure: the report for the given inputs. */
export function healthReport(i: HealthInputs): HealthReport {
  const down: string[] = [];
  const degraded: string[] = [];
  if (!i.dataplane.alive) down.push(`data plane dead: ${i.dataplane.reason ?? 'unknown'}`);
  if (!i.pubBound) down.push('PUB socket not bound');
  for (const g of i.health?.down ?? []) down.push(`group ${g} has no healthy source inside its trading session`);
  for (const g of i.health?.silent ?? []) degraded.push(`group ${g}: canaries silent on every source inside the session`);
  for (const h of i.health?.sources ?? []) {
    if (!h.feeding && h.health !== 'stopped') degraded.push(`source ${h.id} is ${h.health}: ${h.reason}`);
  }
  if (i.sources.length === 0) degraded.push('no gateway instance runs on this hub');
  if (!i.db.up) degraded.push(`configuration database unreachable since ${new Date(i.db.since).toISOString()}: ${i.db.lastError ?? ''}`.trim());
  for (const s of i.skipped) degraded.push(`gateway ${s.id} not started (${s.code})`);
  for (const b of i.bad) degraded.push(`configuration row ${b.table}/${b.key} skipped (MDH_ERR_DB_BAD_ROW)`);
  const status: HubStatus = down.length > 0 ? 'down' : degraded.length > 0 ? 'degraded' : 'ok';
  return {
    status, reasons: [...down, ...degraded], hub_id: i.hubId, run_id: i.runId, simulated: i.simulated,
    db: { up: i.db.up, since: i.db.since, revision: i.db.revision, error: i.db.lastError },
    sources: i.sources.map((x) => {
      const h = i.health?.sources.find((v) => v.id === x.id);
      return { ...x, health: h?.health ?? null, health_reason: h?.reason ?? null, feeding: h?.feeding ?? false };
    }),
  };
}
