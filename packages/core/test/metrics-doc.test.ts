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
    subscribers: { highWaterMark: 100_000 },
    latency: { count: 10, p50_us: 500, p99_us: 2000 },
  };
  return {
    stats, sources: [{ id: source, pid: 1, state: 'subscribed', reason: null, restarts: 0, pending: 0, sent: 0, stopped_by_admin: false, breaker: 'closed', info: {} }], db: { up: true, revision: 3, reloads: 1, reloadErrors: 0 }, dataplaneUp: true,
    health: [{ id: source, health: 'ok', feeding: true }], healthCounters: { restarts: { [source]: 1 }, breakerOpened: { [source]: 0 } },
  };
}

describe('metrics and docs/reference/metrics.md', () => {
  it('documents every metric the hub renders, with its type, and nothing else', async () => {
    const text = await new HubMetrics(async () => snapshot('a')).render();
    const rendered = new Map([...text.matchAll(/^# TYPE (mdhub_\w+) (counter|gauge)$/gm)].map((m) => [m[1]!, m[2]!]));
    const doc = fs.readFileSync(path.join(ROOT, 'docs/reference/metrics.md'), 'utf8');
    const documented = new Map([...doc.matchAll(/^\| `(mdhub_\w+)` \| (counter|gauge) \|/gm)].map((m) => [m[1]!, m[2]!]));
    expect(rendered.size).toBeGreaterThan(20);
    expect(documented).toEqual(rendered);
  });

  it('escapes label values instead of mangling them', async () => {
    const text = await new HubMetrics(async () => snapshot('we"ird\\id\nx')).render();
    expect(text).toContain('mdhub_source_wins_total{source="we\\"ird\\\\id\\nx"} 1');
    expect(text).toContain('mdhub_filter_disabled{filter="f",source="we\\"ird\\\\id\\nx"} 1');
  });
});
