/**
 * An example third-party cleansing filter: rejects a tick whose best bid/ask spread is wider than
 * `maxSpreadTicks` price ticks while both sides are present (a one-sided or empty book passes: that is
 * a real state at a limit). Register it with createCleansingPipeline({ plugins: [plugin], config:
 * { filters: [{ plugin: 'example-wide-spread', config: { maxSpreadTicks: 50 } }] } }), or in the hub's
 * config: cleansing.plugins = ['<module>'] and cleansing.options.filters = [...] as above.
 */
import type { MarketTick } from '@mdhub/protocol';
import type { Filter, FilterContext, FilterPlugin, FilterVerdict } from '@mdhub/core';
import { CORE_VERSION } from '@mdhub/core';
import { z } from 'zod';

const ConfigSchema = z.object({
  /** Widest accepted spread, in price ticks of the instrument. */
  maxSpreadTicks: z.number().int().min(1).default(50),
  /** Apply to options too (their books are often wide and still real). */
  options: z.boolean().default(false),
});

type Config = z.infer<typeof ConfigSchema>;

function create(config: Config): Filter<null> {
  const rejection = { rule: 'wide_spread', reason: `spread wider than ${config.maxSpreadTicks} ticks` };
  return {
    name: 'example-wide-spread',
    rules: ['wide_spread'],
    check(t: MarketTick, ctx: FilterContext): FilterVerdict {
      if (!config.options && ctx.instrument.kind === 'option') return null;
      const bid = t.bid_price_1;
      const ask = t.ask_price_1;
      if (bid <= 0 || ask <= 0) return null;
      return ask - bid > config.maxSpreadTicks * ctx.instrument.priceTick ? rejection : null;
    },
  };
}

export const plugin: FilterPlugin<Config> = {
  name: 'example-wide-spread',
  kind: 'filter',
  coreVersion: `^${CORE_VERSION}`,
  configSchema: ConfigSchema as unknown as FilterPlugin<Config>['configSchema'],
  create,
};

export default plugin;
