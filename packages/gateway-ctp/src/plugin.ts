import type { Exchange } from '@mdhub/protocol';
import { CORE_VERSION, definePlugin } from '@mdhub/core/plugin';
import type { GatewayPlugin } from '@mdhub/core/plugin';
import { CTP_EXCHANGES, SOPT_EXCHANGES, gatewayConfigSchema } from './config.js';
import type { GatewayConfig } from './config.js';
import { CtpGateway } from './gateway.js';
import type { Flavour } from './native.js';

/** What distinguishes the CTP plugin from the SOPT one: flavours, exchanges, names. */
export interface GatewayPluginOptions {
  name: string;
  defaultName: string;
  description: string;
  flavours: readonly [Flavour, ...Flavour[]];
  exchanges: readonly Exchange[];
}

/** A gateway plugin on the vendor binding (CTP and SOPT share everything but these options). */
export function makeGatewayPlugin(o: GatewayPluginOptions): GatewayPlugin<GatewayConfig> {
  return definePlugin({
    name: o.name,
    kind: 'gateway',
    version: CORE_VERSION,
    coreVersion: `^${CORE_VERSION}`,
    description: o.description,
    defaultName: o.defaultName,
    accountFields: ['broker_id', 'user_id', 'password', 'fronts', 'app_id', 'auth_code'],
    configSchema: gatewayConfigSchema(o.flavours, o.exchanges),
    create: (ctx) => new CtpGateway(ctx, { exchanges: o.exchanges }),
  }) as GatewayPlugin<GatewayConfig>;
}

/** The CTP futures market-data gateway (CTP 6.7.7 or 6.7.11 library). */
export const plugin = makeGatewayPlugin({
  name: '@mdhub/gateway-ctp',
  defaultName: 'CTP',
  description: 'CTP futures market data through the vendor library the user points it at (6.7.7 or 6.7.11)',
  flavours: ['ctp-6.7.7', 'ctp-6.7.11'],
  exchanges: CTP_EXCHANGES,
});

/** The SOPT stock-option market-data plugin's options (the plugin itself is @mdhub/gateway-sopt). */
export const SOPT_PLUGIN_OPTIONS: GatewayPluginOptions = {
  name: '@mdhub/gateway-sopt',
  defaultName: 'SOPT',
  description: 'SSE/SZSE stock-option market data through the SOPT vendor library the user points it at (3.7)',
  flavours: ['sopt'],
  exchanges: SOPT_EXCHANGES,
};
