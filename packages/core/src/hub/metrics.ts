/**
 * `/metrics`: Prometheus exposition through prom-client (label values escaped by the library). Each
 * scrape takes one snapshot of the hub (data-plane counters, sources, database state) and every series
 * reads from it. docs/reference/metrics.md lists every series; a test keeps them in step.
 */
import v8 from 'node:v8';
import { Counter, Gauge, Registry } from 'prom-client';
import type { DataPlaneStats } from '../dataplane/dataplane.js';
import { threadLoopLag } from '../dataplane/loop-lag.js';
import type { LoopLag } from '../dataplane/loop-lag.js';
import { LATENCY_BOUNDS_US, LATENCY_STAGES } from '../dataplane/watch.js';
import type { GatewayInfo } from '../gateway/supervisor.js';

/** What one scrape reads. */
export interface MetricsSnapshot {
  stats: DataPlaneStats | null;
  sources: GatewayInfo[];
  db: { up: boolean; revision: number; reloads: number; reloadErrors: number };
  dataplaneUp: boolean;
  /** Each source's health (the health monitor). */
  health?: Array<{ id: string; health: string; feeding: boolean }>;
  /** Hard restarts the health monitor decided and circuit-breaker openings, per source. */
  healthCounters?: { restarts: Record<string, number>; breakerOpened: Record<string, number> };
  /** Alert emails by result (sent, failed, rate_limited), since the hub started. */
  alertEmails?: Record<string, number>;
}

const HEALTH_VALUES = ['ok', 'degraded', 'stale', 'restarting', 'dead', 'circuit_open', 'stopped'] as const;

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
    define('gauge', 'hub_latency_us', 'Gateway receive to hub publish over the last minute, by quantile (0.5, 0.99; bucket upper bounds).', ['quantile'], (s) => {
      const l = stat(s)?.latency;
      return l && l.count > 0 ? [[{ quantile: '0.5' }, l.p50_us ?? 0], [{ quantile: '0.99' }, l.p99_us ?? 0]] : [];
    });
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
    define('gauge', 'source_health', '1 for the health the source has now (ok, degraded, stale, restarting, dead, circuit_open, stopped; docs/health.md).', ['source', 'health'],
      (s) => (s.health ?? []).flatMap((h) => HEALTH_VALUES.map((v): [Labels, number] => [{ source: h.id, health: v }, h.health === v ? 1 : 0])));
    define('counter', 'source_health_restarts_total', 'Hard restarts the health monitor decided (a confirmed stale or dead source).', ['source'], (s) => Object.entries(s.healthCounters?.restarts ?? {}).map(([id, n]) => [{ source: id }, n]));
    define('counter', 'source_breaker_opened_total', 'Times the circuit breaker opened (restarts that never reached healthy).', ['source'], (s) => Object.entries(s.healthCounters?.breakerOpened ?? {}).map(([id, n]) => [{ source: id }, n]));
    const quality = (key: 'lag_p50_ms' | 'lag_p99_ms' | 'win_share' | 'clock_offset_p50_ms' | 'clock_offset_p99_ms') => (s: MetricsSnapshot): Rows =>
      Object.entries(stat(s)?.quality ?? {}).flatMap(([id, q]): Rows => (q[key] === null || !Number.isFinite(q[key]) ? [] : [[{ source: id }, q[key]]]));
    define('gauge', 'source_lag_p50_ms', 'Lag behind the race winner over the last minute, p50 (bucket upper bound), ms.', ['source'], quality('lag_p50_ms'));
    define('gauge', 'source_lag_p99_ms', 'Lag behind the race winner over the last minute, p99 (bucket upper bound), ms.', ['source'], quality('lag_p99_ms'));
    define('gauge', 'source_win_share', "The source's share of every source's wins over the last minute (0 to 1).", ['source'], quality('win_share'));
    define('gauge', 'source_clock_offset_p50_ms', 'localtime − datetime over the last minute, p50 (bucket upper bound), ms: the source clock against the exchange stamp.', ['source'], quality('clock_offset_p50_ms'));
    define('gauge', 'source_clock_offset_p99_ms', 'localtime − datetime over the last minute, p99 (bucket upper bound), ms.', ['source'], quality('clock_offset_p99_ms'));
    define('gauge', 'canary_age_ms', "Since a source's last copy of a canary contract, ms.", ['group', 'product', 'instrument', 'source'],
      (s) => (stat(s)?.canaries ?? []).flatMap((c) => Object.entries(c.sources).map(([src, x]): [Labels, number] => [{ group: c.group, product: c.product, instrument: c.instrument ?? '', source: src }, x.age_ms])));
    define('counter', 'takeovers_total', 'Priority-group takeovers that published a standby state.', [], (s) => (stat(s) ? [[{}, stat(s)!.takeovers ?? 0]] : []));
    define('counter', 'states_replaced_total', 'Instrument states published at takeovers in place of states subscribers never received (states_replaced events).', [], (s) => (stat(s) ? [[{}, stat(s)!.statesReplaced ?? 0]] : []));
    define('gauge', 'instruments_by_state', 'Instruments per data state: ok, stale (no healthy source feeds it inside its session), suspect (every recent copy rejected by cleansing).', ['state'],
      (s) => Object.entries(stat(s)?.instrumentStates ?? {}).map(([k, v]) => [{ state: k }, v]));
    define('counter', 'instrument_state_changes_total', 'Changes of an instrument\'s data state (instrument_state events).', [], (s) => (stat(s) ? [[{}, stat(s)!.instrumentStateChanges ?? 0]] : []));
    define('gauge', 'pub_subscriptions', 'Topic prefixes some subscriber holds on the PUB socket (libzmq reports each prefix once, however many subscribers hold it).', [], (s) => (stat(s)?.subscribers ? [[{}, stat(s)!.subscribers.prefixes ?? 0]] : []));
    define('counter', 'ticks_unsubscribed_total', 'Published ticks whose per-tick message was not sent because no subscriber held a prefix of its topic (they may still go out in the batch stream).', [], (s) => (stat(s)?.subscribers ? [[{}, stat(s)!.subscribers.unsubscribedTicks ?? 0]] : []));
    define('gauge', 'pub_high_water_mark', 'Messages the PUB socket queues per subscriber before it drops for that subscriber (--send-hwm); a stalled subscriber holds up to this many.', [], (s) => (stat(s)?.subscribers ? [[{}, stat(s)!.subscribers.highWaterMark]] : []));
    define('counter', 'alert_emails_total', 'Alert emails by result: sent, failed (the SMTP server refused or was unreachable), rate_limited (over alerts.maxPerHour; summarised in the next email).', ['result'],
      (s) => Object.entries(s.alertEmails ?? {}).map(([result, n]) => [{ result }, n]));
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
    define('gauge', 'event_loop_lag_seconds', 'Event-loop lag per thread (control, dataplane) over the last 10 s window, by quantile (0.5, 0.99, 1 = max).', ['thread', 'quantile'], (s) => {
      const rows: Rows = [];
      const put = (thread: string, l: LoopLag | null | undefined): void => {
        if (!l) return;
        rows.push([{ thread, quantile: '0.5' }, l.p50_ms / 1000], [{ thread, quantile: '0.99' }, l.p99_ms / 1000], [{ thread, quantile: '1' }, l.max_ms / 1000]);
      };
      put('control', threadLoopLag().read());
      put('dataplane', stat(s)?.loopLag);
      return rows;
    });
    this.registry.registerMetric(this.stageHistogram() as never);
  }

  /**
   * `mdhub_tick_latency_seconds{stage}`: a Prometheus histogram per stage of a published tick's way
   * through the hub, filled in the data plane (one table read per tick and stage) and exposed as it is:
   * prom-client's Histogram observes values one by one, so this metric hands the registry its buckets.
   */
  private stageHistogram(): object {
    const name = 'mdhub_tick_latency_seconds';
    const help = 'Published ticks by latency and stage, since the hub started: link (gateway process hands it over → data plane takes it), dataplane (→ published), total (gateway receive → publish).';
    const les = [...LATENCY_BOUNDS_US.map((b) => String(b / 1e6)), '+Inf'];
    return {
      name, help, type: 'histogram', aggregator: 'sum',
      get: async () => {
        const values: Array<{ metricName: string; labels: Labels; value: number }> = [];
        const stages = this.snap?.stats?.stages;
        if (stages) {
          for (const stage of LATENCY_STAGES) {
            const h = stages[stage];
            let cum = 0;
            h.counts.forEach((c, i) => {
              cum += c;
              values.push({ metricName: `${name}_bucket`, labels: { stage, le: les[i]! }, value: cum });
            });
            values.push({ metricName: `${name}_sum`, labels: { stage }, value: h.sum_us / 1e6 }, { metricName: `${name}_count`, labels: { stage }, value: h.count });
          }
        }
        return { name, help, type: 'histogram', aggregator: 'sum', values };
      },
    };
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
