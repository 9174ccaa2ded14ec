import type { Store } from './store.js';

/** The demo on the embedded default: three simulated sources of one market, racing. */
export async function seedDemo(store: Store): Promise<void> {
  const market = { seed: 20260101 };
  await store.putGateway({ id: 'sim-a', plugin: '@mdhub/gateway-sim', enabled: true, priority: 1, config: { market, latency: { medianMs: 2, sigma: 0.6 } } });
  await store.putGateway({ id: 'sim-b', plugin: '@mdhub/gateway-sim', enabled: true, priority: 2, config: { market, latency: { medianMs: 3, sigma: 0.8 } } });
  await store.putGateway({ id: 'sim-c', plugin: '@mdhub/gateway-sim', enabled: true, priority: 3, config: { market, latency: { medianMs: 5, sigma: 1.0 } } });
  await store.putGroup({ name: 'default', policy: 'race', instruments: ['*'], sources: [] });
}
