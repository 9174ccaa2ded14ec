/**
 * Keeps the hub's /metrics output and docs/reference/metrics.md in step: every metric the hub renders is
 * documented with its type, and the doc lists nothing the hub does not render.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { renderMetrics } from '../src/metrics.js';
import type { DataPlaneStats } from '../src/dataplane/dataplane.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

describe('metrics and docs/reference/metrics.md', () => {
  it('documents every metric the hub renders, with its type, and nothing else', () => {
    const counters = { received: 1, wins: 1, duplicates: 0, old: 0, standby: 0, future: 0, unhealthy: 0, rejected: 0, batches: 1, handlerErrors: 0, badBatches: 0, badTicks: 0, wrongRun: 0, lastBatchSeq: 1, gaps: 0, healthy: true };
    const stats: DataPlaneStats = {
      seq: 1, instruments: 1, published: 1, publishDropped: 0, sources: { a: counters }, rejections: {},
      cleansing: { checked: 1, accepted: 1, rejected: 0, byRule: {}, bySource: {}, rejections: [{ rule: 'non_finite', source: 'a', group: 'default', count: 1 }] } as unknown as DataPlaneStats['cleansing'],
      heapUsed: 1,
    };
    const text = renderMetrics(stats, [{ id: 'a', state: 'subscribed', restarts: 0, pending: 0, sent: 0 }]);
    const rendered = new Map([...text.matchAll(/^# TYPE (mdhub_\w+) (counter|gauge)$/gm)].map((m) => [m[1]!, m[2]!]));
    const doc = fs.readFileSync(path.join(ROOT, 'docs/reference/metrics.md'), 'utf8');
    const documented = new Map([...doc.matchAll(/^\| `(mdhub_\w+)` \| (counter|gauge) \|/gm)].map((m) => [m[1]!, m[2]!]));
    expect(rendered.size).toBeGreaterThan(15);
    expect(documented).toEqual(rendered);
  });
});
