/**
 * A strategy-side subscriber with @mdhub/client.
 *   npx tsx examples/typescript/subscriber.ts                      # every tick
 *   npx tsx examples/typescript/subscriber.ts rb2601.SHFE '*.CZCE'
 * Endpoint: MDHUB_PUB (default tcp://127.0.0.1:7701).
 */
import { connect, type Tick } from '@mdhub/client';

const patterns = process.argv.slice(2);
const client = connect({ endpoint: process.env['MDHUB_PUB'] ?? 'tcp://127.0.0.1:7701' });

client.on('hub_down', (e: { silentMs: number }) => console.log(`hub silent for ${e.silentMs} ms`));
client.on('hub_restart', () => console.log('hub restarted: seq restarts, subscriptions carry on'));
client.on('gap', (e: { instrument: string; expected: number; got: number }) => console.log(`gap on ${e.instrument}: expected iseq ${e.expected}, got ${e.got}`));

// Callback style:
client.subscribe(patterns.length > 0 ? patterns : ['*'], (t: Tick) => {
  const time = new Date(t.datetime + 8 * 3_600_000).toISOString().slice(11, 23);
  console.log(`${time} ${t.symbol}.${t.exchange} last=${t.last_price} vol=${t.volume} bid=${t.bid_price_1} ask=${t.ask_price_1} seq=${t.seq} src=${t.source}`);
});

// Async-iterator style would be:
//   for await (const t of client.subscribe('rb2601.SHFE')) { ... }

process.on('SIGINT', () => void client.close().then(() => process.exit(0)));
