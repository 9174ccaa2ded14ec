/**
 * A strategy-side subscriber with @mdhub/client.
 *   npx tsx examples/typescript/subscriber.ts                      # every tick
 *   npx tsx examples/typescript/subscriber.ts rb2601.SHFE 'rb*.SHFE' '*.CZCE'
 * Endpoints: MDHUB_PUB (default tcp://127.0.0.1:7701) and MDHUB_SNAPSHOT (default tcp://127.0.0.1:7702;
 * empty: no snapshots). With the snapshot service every subscription starts with its instruments'
 * current state and gaps are recovered; see docs/client.md.
 */
import { connect, type Tick } from '@mdhub/client';

const patterns = process.argv.slice(2);
const snapshot = process.env['MDHUB_SNAPSHOT'] ?? 'tcp://127.0.0.1:7702';
const client = connect({ endpoint: process.env['MDHUB_PUB'] ?? 'tcp://127.0.0.1:7701', ...(snapshot ? { snapshotEndpoint: snapshot } : {}) });

client.on('hub_down', (e) => console.log(`hub silent for ${e.silentMs} ms`));
client.on('hub_restart', (e) => console.log(`hub restarted (run ${e.runId}): a fresh snapshot follows`));
client.on('gap', (e) => console.log(`gap on ${e.instrument} (${e.reason}): expected ${e.expected}, got ${e.got}${e.recovering ? ', recovering' : ''}`));
client.on('instrument_state', (e) => console.log(`${e.instrument} is ${e.state}${e.reason ? `: ${e.reason}` : ''}`));

// Callback style:
client.subscribe(patterns.length > 0 ? patterns : ['*'], (t: Tick) => {
  const time = new Date(t.datetime + 8 * 3_600_000).toISOString().slice(11, 23);
  console.log(`${time} ${t.symbol}.${t.exchange} last=${t.last_price} vol=${t.volume} bid=${t.bid_price_1} ask=${t.ask_price_1} seq=${t.seq} src=${t.source}`);
});

// Async-iterator style would be:
//   for await (const t of client.subscribe('rb2601.SHFE', { signal })) { ... }

process.on('SIGINT', () => void client.close().then(() => process.exit(0)));
