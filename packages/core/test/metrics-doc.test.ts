/**
 * Keeps the hub's /metrics output and docs/reference/metrics.md in step: every metric the hub renders is
 * documented with its type, and the doc lists nothing the hub does not render. Label values are escaped
 * (a quote, a backslash and a newline in a source id survive the exposition format).
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { HubMetrics } from '../src/hub/metrics.js';
import type { MetricsSnapshot } from '../src/hub/metrics.js';
import type { DataPlaneStats } from '../src/dataplane/dataplane.js';
import { parseExposition, parserAvailable } from './prom-parse.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

function snapshot(source: string): MetricsSnapshot {
  const counters = { received: 1, wins: 1, duplicates: 0, old: 0, standby: 0, future: 0, unhealthy: 0, rejected: 0, batches: 1, handlerErrors: 0, badBatches: 0, badTicks: 0, wrongRun: 0, lastBatchSeq: 1, gaps: 0, healthy: true };
  const stats: DataPlaneStats = {
    seq: 1, instruments: 1, published: 1, publishDropped: 0, sources: { [source]: counters }, rejections: {},
    cleansing: { checked: 1, accepted: 1, rejected: 0, byRule: {}, bySource: {}, rejections: [{ rule: 'non_finite', source, group: 'default', count: 1 }], filterErrors: [{ filter: 'f', source, count: 2, disabled: true }] },
    heapUsed: 1,
    snapshotBadRequests: 0,
    quality: { [source]: { copies: 2, wins: 1, win_share: 0.5, lag_p50_ms: 1, lag_p99_ms: 5, clock_offset_p50_ms: 10, clock_offset_p99_ms: 20 } },
    canaries: [{ group: 'default', product: 'rb.SHFE', instrument: 'rb2701.SHFE', silent_ms: 100, sources: { [source]: { age_ms: 100, behind_ms: 0 } } }],
    takeovers: 1,
    statesReplaced: 3,
    instrumentStates: { ok: 1, stale: 0, suspect: 0 },
    instrumentStateChanges: 0,
    subscribers: { highWaterMark: 100_000, prefixes: 4, unsubscribedTicks: 7 },
    latency: { count: 10, p50_us: 500, p99_us: 2000 },
    stages: {
      link: { counts: [0, 3, ...new Array<number>(20).fill(0)], sum_us: 240, count: 3 },
      dataplane: { counts: [2, 1, ...new Array<number>(20).fill(0)], sum_us: 120, count: 3 },
      total: { counts: [0, 0, 3, ...new Array<number>(19).fill(0)], sum_us: 360, count: 3 },
    },
    loopLag: { p50_ms: 0.5, p99_ms: 4, max_ms: 12 },
  };
  return {
    stats, sources: [{ id: source, pid: 1, state: 'subscribed', reason: null, restarts: 0, pending: 0, sent: 0, stopped_by_admin: false, breaker: 'closed', info: {} }], db: { up: true, revision: 3, reloads: 1, reloadErrors: 0 }, dataplaneUp: true,
    health: [{ id: source, health: 'ok', feeding: true }], healthCounters: { restarts: { [source]: 1 }, breakerOpened: { [source]: 0 } },
  };
}

describe('metrics and docs/reference/metrics.md', () => {
  it('documents every metric the hub renders, with its type, and nothing else', async () => {
    const text = await new HubMetrics(async () => snapshot('a')).render();
    const rendered = new Map([...text.matchAll(/^# TYPE (mdhub_\w+) (counter|gauge|histogram)$/gm)].map((m) => [m[1]!, m[2]!]));
    const doc = fs.readFileSync(path.join(ROOT, 'docs/reference/metrics.md'), 'utf8');
    const documented = new Map([...doc.matchAll(/^\| `(mdhub_\w+)` \| (counter|gauge|histogram) \|/gm)].map((m) => [m[1]!, m[2]!]));
    expect(rendered.size).toBeGreaterThan(20);
    expect(documented).toEqual(rendered);
  });

  it('escapes label values instead of mangling them', async () => {
    const text = await new HubMetrics(async () => snapshot('we"ird\\id\nx')).render();
    expect(text).toContain('mdhub_source_wins_total{source="we\\"ird\\\\id\\nx"} 1');
    expect(text).toContain('mdhub_filter_disabled{filter="f",source="we\\"ird\\\\id\\nx"} 1');
  });
});

describe('/metrics read by the Prometheus reference parser (python3-prometheus-client)', () => {
  const available = parserAvailable();
  if (!available) console.warn('python3-prometheus-client is not installed (apt-get install python3-prometheus-client): the parser checks are skipped');

  it.skipIf(!available && process.env['MDHUB_REQUIRE_ALL'] !== '1')('parses every family with its type; histograms are cumulative with +Inf equal to the count; odd label values survive', async () => {
    expect(available, 'python3-prometheus-client must be installed under MDHUB_REQUIRE_ALL=1').toBe(true);
    const odd = 'we"ird\\id\nx';
    const families = parseExposition(await new HubMetrics(async () => snapshot(odd)).render());
    const byName = new Map(families.map((f) => [f.name, f]));
    // Counters lose their _total in the parser's family names; samples keep it.
    expect(byName.get('mdhub_source_wins')?.type).toBe('counter');
    expect(byName.get('mdhub_source_wins')?.samples).toEqual([{ name: 'mdhub_source_wins_total', labels: { source: odd }, value: 1 }]);
    expect(byName.get('mdhub_source_health')?.samples.find((s) => s.labels['health'] === 'ok')).toEqual({ name: 'mdhub_source_health', labels: { source: odd, health: 'ok' }, value: 1 });
    const h = byName.get('mdhub_tick_latency_seconds');
    expect(h?.type).toBe('histogram');
    for (const stage of ['link', 'dataplane', 'total']) {
      const buckets = h!.samples.filter((s) => s.name === 'mdhub_tick_latency_seconds_bucket' && s.labels['stage'] === stage);
      expect(buckets).toHaveLength(22);
      const values = buckets.map((b) => b.value);
      expect(values).toEqual([...values].sort((a, b) => a - b)); // cumulative
      expect(buckets.at(-1)!.labels['le']).toBe('+Inf');
      expect(buckets.at(-1)!.value).toBe(h!.samples.find((s) => s.name === 'mdhub_tick_latency_seconds_count' && s.labels['stage'] === stage)!.value);
    }
    expect(h!.samples.find((s) => s.name === 'mdhub_tick_latency_seconds_bucket' && s.labels['stage'] === 'total' && s.labels['le'] === '0.00015')!.value).toBe(3);
    expect(h!.samples.find((s) => s.name === 'mdhub_tick_latency_seconds_sum' && s.labels['stage'] === 'total')!.value).toBeCloseTo(360e-6, 12);
    expect(byName.get('mdhub_event_loop_lag_seconds')?.samples.filter((s) => s.labels['thread'] === 'dataplane').map((s) => [s.labels['quantile'], s.value])).toEqual([['0.5', 0.0005], ['0.99', 0.004], ['1', 0.012]]);
  });
});
