/**
 * `/metrics`: Prometheus exposition through prom-client (label values escaped by the library). Each
 * scrape takes one snapshot of the hub (data-plane counters, sources, database state) and every series
 * reads from it. docs/reference/metrics.md lists every series; a test keeps them in step.
 */
import v8 from 'node:v8';
import { Counter, Gauge, Registry } from 'prom-client';
import type { DataPlaneStats } from '../dataplane/dataplane.js';
import type { GatewayInfo } from '../gateway/supervisor.js';

/** What one scrape reads. */
export interface MetricsSnapshot {
  stats: DataPlaneStats | null;
  sources: GatewayInfo[];
  db: { up: boolean; revision: number; reloads: number; reloadErrors: number };
  dataplaneUp: boolean;
}

type Labels = Record<string, string>;
type Rows = Array<[Labels, number]>;

const SOURCE_COUNTERS = ['received', 'wins', 'duplicates', 'old', 'standby', 'future', 'unhealthy', 'rejected', 'batches', 'handlerErrors', 'badBatches', 'badTicks', 'wrongRun'] as const;
const snake = (k: string): string => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

export class HubMetrics {
  readonly registry = new Registry();
  private snap: MetricsSnapshot | null = null;

  constructor(private readonly snapshot: () => Promise<MetricsSnapshot>) {
    const m = this;
    const define = (kind: 'counter' | 'gauge', name: string, help: string, labelNames: string[], rows: (s: MetricsSnapshot) => Rows): void => {
      const collect = function (this: Counter | Gauge): void {
        this.reset();
        const s = m.snap;
        if (!s) return;
        for (const [labels, v] of rows(s)) {
          if (this instanceof Gauge) this.set(labels, v);
          else (this as Counter).inc(labels, v);
        }
      };
      const cfg = { name: `mdhub_${name}`, help, labelNames, registers: [this.registry], collect };
      if (kind === 'counter') new Counter(cfg);
      else new Gauge(cfg);
    };
    const stat = (s: MetricsSnapshot): DataPlaneStats | null => s.stats;
    define('counter', 'published_ticks_total', 'Ticks published on the PUB socket.', [], (s) => (stat(s) ? [[{}, stat(s)!.seq]] : []));
    define('gauge', 'instruments', 'Instruments seen.', [], (s) => (stat(s) ? [[{}, stat(s)!.instruments]] : []));
    define('counter', 'publish_dropped_total', 'Messages lost because a send on the PUB socket failed.', [], (s) => (stat(s) ? [[{}, stat(s)!.publishDropped]] : []));
    define('counter', 'snapshot_bad_requests_total', 'Snapshot-service requests refused as malformed.', [], (s) => (stat(s) ? [[{}, stat(s)!.snapshotBadRequests ?? 0]] : []));
    for (const k of SOURCE_COUNTERS) {
      define('counter', `source_${snake(k)}_total`, `Per-source ${k}.`, ['source'], (s) => Object.entries(stat(s)?.sources ?? {}).map(([id, c]) => [{ source: id }, c[k]]));
    }
    define('gauge', 'source_healthy', '1 when the source feeds arbitration.', ['source'], (s) => Object.entries(stat(s)?.sources ?? {}).map(([id, c]) => [{ source: id }, c.healthy ? 1 : 0]));
    define('counter', 'source_restarts_total', 'Gateway process restarts.', ['source'], (s) => s.sources.map((x) => [{ source: x.id }, x.restarts]));
    define('gauge', 'source_running', '1 while the gateway process of the source runs (0 when stopped by an admin or between restarts).', ['source'], (s) => s.sources.map((x) => [{ source: x.id }, x.pid !== null ? 1 : 0]));
    define('counter', 'link_sent_ticks_total', 'Ticks the gateway handed to its link, across its restarts (reported every ping): what the source produced.', ['source'], (s) => s.sources.map((x) => [{ source: x.id }, x.sent]));
    define('gauge', 'link_pending_ticks', 'Ticks waiting in the gateway process for its link (a backlog when the data plane falls behind; reported every ping).', ['source'], (s) => s.sources.map((x) => [{ source: x.id }, x.pending]));
    define('counter', 'cleansing_rejected_total', 'Ticks rejected by cleansing, per rule, source and instrument group.', ['source', 'rule', 'group'], (s) => (stat(s)?.cleansing?.rejections ?? []).map((r) => [{ source: r.source, rule: r.rule, group: r.group }, r.count]));
    define('counter', 'cleansing_checked_total', 'Ticks checked by cleansing.', [], (s) => [[{}, stat(s)?.cleansing?.checked ?? 0]]);
    define('counter', 'filter_errors_total', 'Calls of a filter plugin that threw, per filter and source (the tick is judged without it).', ['filter', 'source'], (s) => (stat(s)?.cleansing?.filterErrors ?? []).map((r) => [{ filter: r.filter, source: r.source }, r.count]));
    define('gauge', 'filter_disabled', '1 when a filter plugin is disabled for a source after repeated failures.', ['filter', 'source'], (s) => (stat(s)?.cleansing?.filterErrors ?? []).map((r) => [{ filter: r.filter, source: r.source }, r.disabled ? 1 : 0]));
    define('gauge', 'dataplane_up', '1 while the data-plane worker answers.', [], (s) => [[{}, s.dataplaneUp ? 1 : 0]]);
    define('gauge', 'db_up', '1 while the configuration database answers (ticks flow either way).', [], (s) => [[{}, s.db.up ? 1 : 0]]);
    define('gauge', 'config_revision', 'Configuration revision this hub has applied.', [], (s) => [[{}, s.db.revision]]);
    define('counter', 'config_reloads_total', 'Configuration changes applied live.', [], (s) => [[{}, s.db.reloads]]);
    define('counter', 'config_reload_errors_total', 'Configuration reloads that failed (the last applied configuration stays in force).', [], (s) => [[{}, s.db.reloadErrors]]);
    define('gauge', 'heap_used_bytes', 'V8 heap in use per thread.', ['thread'], (s) => [
      ...(stat(s) ? [[{ thread: 'dataplane' }, stat(s)!.heapUsed] as [Labels, number]] : []),
      [{ thread: 'control' }, v8.getHeapStatistics().used_heap_size],
    ]);
    define('gauge', 'rss_bytes', 'Resident set size of the hub process.', [], () => [[{}, process.memoryUsage.rss()]]);
  }

  /** One scrape: a fresh snapshot, then the exposition text. */
  async render(): Promise<string> {
    this.snap = await this.snapshot();
    try {
      return await this.registry.metrics();
    } finally {
      this.snap = null;
    }
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
