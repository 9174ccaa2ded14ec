/**
 * `/metrics` of a real hub on its simulated demo, scraped over HTTP and read by the Prometheus reference
 * parser (python3-prometheus-client): valid exposition, per-source counters that move, the latency
 * histograms filled by the data-plane worker (the total stage counts every published tick, its p99
 * under a second), and the event-loop lag of both threads once the first 10 s window has passed.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { parseExposition, parserAvailable } from '../../packages/core/test/prom-parse.js';
import type { PromFamily } from '../../packages/core/test/prom-parse.js';
import { sleep, startHubProcess, waitFor } from './helpers.js';
import type { HubProcess } from './helpers.js';

let hub: HubProcess | null = null;
afterEach(async () => {
  await hub?.stop();
  hub = null;
});

const available = parserAvailable();
if (!available) console.warn('python3-prometheus-client is not installed (apt-get install python3-prometheus-client): the scrape test is skipped');

async function scrape(h: HubProcess): Promise<Map<string, PromFamily>> {
  const res = await fetch(`http://${h.ready.http}/metrics`);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return new Map(parseExposition(await res.text()).map((f) => [f.name, f]));
}

const value = (f: PromFamily | undefined, name: string, labels: Record<string, string> = {}): number | undefined =>
  f?.samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;

describe('/metrics on a running hub', () => {
  it.skipIf(!available && process.env['MDHUB_REQUIRE_ALL'] !== '1')('parses, moves, and carries the stage histograms and both threads\' event-loop lag', async () => {
    expect(available, 'python3-prometheus-client must be installed under MDHUB_REQUIRE_ALL=1').toBe(true);
    hub = await startHubProcess();
    const h = hub;
    const first = await waitFor('ticks published', async () => {
      const m = await scrape(h);
      return (value(m.get('mdhub_published_ticks'), 'mdhub_published_ticks_total') ?? 0) > 100 ? m : null;
    }, 30_000, 500);
    const received = first.get('mdhub_source_received')!.samples;
    expect(received.map((s) => s.labels['source']).sort()).toEqual(['sim-a', 'sim-b', 'sim-c']);
    await sleep(10_500); // one full window of the event-loop sampler
    const m = await scrape(h);
    const published = value(m.get('mdhub_published_ticks'), 'mdhub_published_ticks_total')!;
    expect(published).toBeGreaterThan(value(first.get('mdhub_published_ticks'), 'mdhub_published_ticks_total')!);
    const hist = m.get('mdhub_tick_latency_seconds');
    expect(hist?.type).toBe('histogram');
    for (const stage of ['link', 'dataplane', 'total']) {
      const count = value(hist, 'mdhub_tick_latency_seconds_count', { stage })!;
      // Every published tick is counted (the scrape reads the worker's stats a moment after the seq).
      expect(count).toBeGreaterThan(published * 0.9);
      expect(count).toBeLessThanOrEqual(published);
      expect(value(hist, 'mdhub_tick_latency_seconds_bucket', { stage, le: '+Inf' })).toBe(count);
      expect(value(hist, 'mdhub_tick_latency_seconds_bucket', { stage, le: '1.0' }) ?? value(hist, 'mdhub_tick_latency_seconds_bucket', { stage, le: '1' })).toBeGreaterThan(count * 0.99);
    }
    const lag = m.get('mdhub_event_loop_lag_seconds');
    for (const thread of ['control', 'dataplane']) {
      for (const quantile of ['0.5', '0.99', '1']) {
        const v = value(lag, 'mdhub_event_loop_lag_seconds', { thread, quantile });
        expect(v, `${thread} ${quantile}`).toBeGreaterThanOrEqual(0);
        expect(v).toBeLessThan(10);
      }
    }
  });
});
