/**
 * @mdhub/gateway-sopt: SSE/SZSE stock-option market data through the SOPT vendor library (3.7). The
 * binding, the connection logic and the conversion are @mdhub/gateway-ctp's; only the flavour (`sopt`),
 * the exchanges and the names differ. Docs: docs/gateways/sopt.md.
 */
import { SOPT_PLUGIN_OPTIONS, makeGatewayPlugin } from '@mdhub/gateway-ctp/internal';

export const plugin = makeGatewayPlugin(SOPT_PLUGIN_OPTIONS);
export default plugin;
