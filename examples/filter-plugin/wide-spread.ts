/**
 * An example third-party cleansing filter: rejects a tick whose best bid/ask spread is wider than
 * `maxSpreadTicks` price ticks while both sides are present (a one-sided or empty book passes: that is
 * a real state at a limit). It imports only the plugin API (`@mdhub/core/plugin`) and zod.
 *
 * Register it in the hub's database (docs/plugins.md):
 *   npx mdhub plugin add /path/to/wide-spread.js --config '{"maxSpreadTicks":50}'
 */
import type { MarketTick } from '@mdhub/protocol';
import type { Filter, FilterContext, FilterVerdict } from '@mdhub/core/plugin';
import { CORE_VERSION, definePlugin } from '@mdhub/core/plugin';
import { z } from 'zod';

const ConfigSchema = z.strictObject({
  /** Widest accepted spread, in price ticks of the instrument. */
  maxSpreadTicks: z.number().int().min(1).default(50),
  /** Apply to options too (their books are often wide and still real). */
  options: z.boolean().default(false),
});

export const plugin = definePlugin({
  name: 'example-wide-spread',
  kind: 'filter',
  version: '1.0.0',
  coreVersion: `^${CORE_VERSION}`,
  configSchema: ConfigSchema,
  create(ctx): Filter<null> {
    const { maxSpreadTicks, options } = ctx.config; // typed from the schema: { maxSpreadTicks: number; options: boolean }
    const rejection = { rule: 'wide_spread', reason: `spread wider than ${maxSpreadTicks} ticks` };
    return {
      name: 'example-wide-spread',
      rules: ['wide_spread'],
      check(t: MarketTick, f: FilterContext): FilterVerdict {
        if (!options && f.instrument.kind === 'option') return null;
        const bid = t.bid_price_1;
        const ask = t.ask_price_1;
        if (bid <= 0 || ask <= 0) return null;
        return ask - bid > maxSpreadTicks * f.instrument.priceTick ? rejection : null;
      },
    };
  },
});

export default plugin;
