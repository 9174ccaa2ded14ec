/**
 * An example third-party health check: flags a source whose copies arrive late behind the race winner.
 * Above `degradedP99Ms` (lag p99 over the last minute) the source is `degraded` (it still feeds, flagged);
 * above `staleP99Ms` it is `stale` (out of the race until it is quicker again). Outside a trading session
 * it says nothing. It imports only the plugin API (`@mdhub/core/plugin`) and zod.
 *
 * Register it in the hub's database (docs/plugins.md, docs/health.md):
 *   npx mdhub plugin add /path/to/max-lag.js --config '{"degradedP99Ms":100,"staleP99Ms":1000}'
 */
import type { HealthCheck, HealthCheckInput, HealthCheckVerdict } from '@mdhub/core/plugin';
import { CORE_VERSION, definePlugin } from '@mdhub/core/plugin';
import { z } from 'zod';

const ConfigSchema = z.strictObject({
  /** Lag behind the winner (p99, ms) above which a source is degraded. */
  degradedP99Ms: z.number().positive().default(200),
  /** Lag behind the winner (p99, ms) above which a source is stale; none by default. */
  staleP99Ms: z.number().positive().optional(),
  /** Copies a source must have delivered in the window before it is judged. */
  minCopies: z.number().int().min(1).default(100),
});

export const plugin = definePlugin({
  name: 'example-max-lag',
  kind: 'health-check',
  version: '1.0.0',
  coreVersion: `^${CORE_VERSION}`,
  configSchema: ConfigSchema,
  create(ctx): HealthCheck {
    const { degradedP99Ms, staleP99Ms, minCopies } = ctx.config; // typed from the schema
    return {
      name: 'max-lag',
      check(s: HealthCheckInput): HealthCheckVerdict {
        const lag = s.quality?.lag_p99_ms;
        if (!s.inSession || lag == null || (s.quality?.copies ?? 0) < minCopies) return null;
        if (staleP99Ms !== undefined && lag > staleP99Ms) return { health: 'stale', reason: `lag p99 ${lag} ms > ${staleP99Ms} ms` };
        if (lag > degradedP99Ms) return { health: 'degraded', reason: `lag p99 ${lag} ms > ${degradedP99Ms} ms` };
        return null;
      },
    };
  },
});

export default plugin;
