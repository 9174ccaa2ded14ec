import v8 from 'node:v8';
import type { DataPlaneStats } from './dataplane/dataplane.js';

/** Prometheus text exposition of the hub's counters (`mdhub_` prefix). */
export function renderMetrics(s: DataPlaneStats, sources: Array<{ id: string; state: string; restarts: number; pending: number; sent: number }>): string {
  const out: string[] = [];
  const metric = (name: string, type: 'counter' | 'gauge', help: string, rows: Array<[Record<string, string>, number]>): void => {
    out.push(`# HELP mdhub_${name} ${help}`, `# TYPE mdhub_${name} ${type}`);
    for (const [labels, v] of rows) {
      const l = Object.entries(labels).map(([k, x]) => `${k}="${x.replace(/["\\\n]/g, '_')}"`).join(',');
      out.push(`mdhub_${name}${l ? `{${l}}` : ''} ${v}`);
    }
  };
  metric('published_ticks_total', 'counter', 'Ticks published on the PUB socket.', [[{}, s.seq]]);
  metric('instruments', 'gauge', 'Instruments seen.', [[{}, s.instruments]]);
  metric('publish_dropped_total', 'counter', 'Messages lost because a send on the PUB socket failed.', [[{}, s.publishDropped]]);
  const src = Object.entries(s.sources);
  for (const k of ['received', 'wins', 'duplicates', 'old', 'standby', 'future', 'unhealthy', 'rejected', 'batches', 'badBatches', 'badTicks', 'wrongRun'] as const) {
    metric(`source_${k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)}_total`, 'counter', `Per-source ${k}.`, src.map(([id, c]) => [{ source: id }, c[k]]));
  }
  metric('source_healthy', 'gauge', '1 when the source feeds arbitration.', src.map(([id, c]) => [{ source: id }, c.healthy ? 1 : 0]));
  metric('source_restarts_total', 'counter', 'Gateway process restarts.', sources.map((x) => [{ source: x.id }, x.restarts]));
  metric('link_sent_ticks_total', 'counter', 'Ticks the gateway handed to its link, across its restarts (reported every ping): what the source produced.', sources.map((x) => [{ source: x.id }, x.sent]));
  metric('link_pending_ticks', 'gauge', 'Ticks waiting in the gateway process for its link (a backlog when the data plane falls behind; reported every ping).', sources.map((x) => [{ source: x.id }, x.pending]));
  const rej: Array<[Record<string, string>, number]> = (s.cleansing?.rejections ?? []).map((r) => [{ source: r.source, rule: r.rule, group: r.group }, r.count]);
  metric('cleansing_rejected_total', 'counter', 'Ticks rejected by cleansing, per rule, source and instrument group.', rej);
  metric('cleansing_checked_total', 'counter', 'Ticks checked by cleansing.', [[{}, s.cleansing?.checked ?? 0]]);
  metric('heap_used_bytes', 'gauge', 'V8 heap in use per thread.', [[{ thread: 'dataplane' }, s.heapUsed], [{ thread: 'control' }, v8.getHeapStatistics().used_heap_size]]);
  metric('rss_bytes', 'gauge', 'Resident set size of the hub process.', [[{}, process.memoryUsage.rss()]]);
  return `${out.join('\n')}\n`;
}
