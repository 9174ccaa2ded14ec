import type { Actor, ConfigService } from '../service/config-service.js';

/** The demo: three simulated sources replicating one simulated market, racing in one group. */
export async function seedDemo(service: ConfigService, actor: Actor): Promise<void> {
  const market = { seed: 20260101 };
  // No source list: every source of the hub races in the group, the ones added later too.
  await service.addGroup(actor, { name: 'default', policy: 'race', instruments: ['all'], canaries: ['rb.SHFE', 'SR.CZCE'] });
  const sources = [['sim-a', 2, 0.6], ['sim-b', 3, 0.8], ['sim-c', 5, 1.0]] as const;
  for (const [id, medianMs, sigma] of sources) {
    await service.addGateway(actor, { id, plugin: '@mdhub/gateway-sim', config: { market, latency: { medianMs, sigma } } });
  }
}
