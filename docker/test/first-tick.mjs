// Waits for the first tick a hub publishes at ENDPOINT, as a subscriber on the host would (the
// @mdhub/client SDK); prints {"first_tick_ms": …, "vt_symbol": …} measured from SINCE_MS (epoch ms), or
// exits 1 after TIMEOUT_S.
import { connect } from '@mdhub/client';

const [endpoint, sinceArg, timeoutArg] = process.argv.slice(2);
const since = Number(sinceArg ?? Date.now());
const client = connect({ endpoint });
const timer = setTimeout(() => {
  console.error(`no tick from ${endpoint} within ${timeoutArg ?? 120} s`);
  process.exit(1);
}, Number(timeoutArg ?? 120) * 1000);
client.subscribe('*', (t) => {
  clearTimeout(timer);
  console.log(JSON.stringify({ first_tick_ms: Date.now() - since, vt_symbol: `${t.symbol}.${t.exchange}`, source: t.source ?? t.gateway_name }));
  void client.close().then(() => process.exit(0));
});
