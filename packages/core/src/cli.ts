#!/usr/bin/env node
/**
 * mdhub command line.
 *   mdhub start [--config FILE] [--data-dir DIR] [--db URL] [--pub ENDPOINT] [--snapshot ENDPOINT] [--http HOST:PORT|off] [--hub-id ID]
 *   mdhub tail [--pub ENDPOINT | --data-dir DIR] INSTRUMENT...   (rb2601.SHFE, *.SHFE, *)
 */
import { parseArgs } from 'node:util';
import type { Tick } from '@mdhub/protocol';
import { subscriptionPrefix } from '@mdhub/protocol';
import { connect } from '@mdhub/client';
import { parseHubConfig, readConfigFile } from './config.js';
import { MdhubError, errorInfo } from './errors.js';
import { readReady, startHub } from './hub.js';

const USAGE = `usage:
  mdhub start [--config FILE] [--data-dir DIR] [--db URL] [--pub ENDPOINT] [--snapshot ENDPOINT]
              [--http HOST:PORT|off] [--hub-id ID] [--link ipc|tcp]
  mdhub tail  [--pub ENDPOINT | --data-dir DIR] [--count N] INSTRUMENT...   e.g. rb2701.SHFE '*.CZCE' '*'`;

function fail(err: unknown): never {
  const e = errorInfo(err);
  const { usage, reason, ...rest } = e.details ?? {};
  void reason; // already in the message
  process.stderr.write(`mdhub: ${e.message}${Object.keys(rest).length ? ` ${JSON.stringify(rest)}` : ''}\n${typeof usage === 'string' ? `${usage}\n` : ''}`);
  process.exit(err instanceof MdhubError && err.code === 'MDH_ERR_CLI_USAGE' ? 2 : 1);
}

process.on('unhandledRejection', (err) => {
  process.stderr.write(`${JSON.stringify({ level: 'error', ts: Date.now(), area: 'hub', msg: 'unhandled rejection', details: { error: String(err) } })}\n`);
});

async function start(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      config: { type: 'string' }, 'data-dir': { type: 'string' }, db: { type: 'string' }, pub: { type: 'string' },
      snapshot: { type: 'string' }, http: { type: 'string' }, 'hub-id': { type: 'string' }, link: { type: 'string' },
      'sim-anchor': { type: 'string' },
    },
    strict: true,
  });
  const file = values.config ? readConfigFile(values.config) : {};
  const env = process.env['MDHUB_DB_URL'] ? { db: process.env['MDHUB_DB_URL'] } : {};
  const flags: Record<string, unknown> = {};
  if (values['data-dir']) flags['dataDir'] = values['data-dir'];
  if (values.db) flags['db'] = values.db;
  if (values.pub) flags['pub'] = values.pub;
  if (values.snapshot) flags['snapshot'] = values.snapshot;
  if (values.http) flags['http'] = values.http;
  if (values['hub-id']) flags['hubId'] = values['hub-id'];
  if (values.link) flags['linkTransport'] = values.link;
  if (values['sim-anchor']) flags['simAnchor'] = values['sim-anchor'];
  const config = parseHubConfig({ ...file, ...env, ...flags }, values.config ?? 'command line');
  const hub = await startHub(config);
  const r = hub.ready;
  hub.log.info('hub', `mdhub ${r.hubId} running${r.simulated ? ' on SIMULATED sources (shifted market clock)' : ''}`, {
    pub: r.pub, snapshot: r.snapshot, http: r.http, sources: r.sources, run_id: r.runId, db: r.db,
  });
  if (process.stdout.isTTY) {
    process.stdout.write(`\n  ticks:  ${r.pub}   (try: npm run tail -- '*.SHFE'   or   /usr/bin/python3 examples/python/subscriber.py)\n  health: http://${r.http}/healthz   metrics: http://${r.http}/metrics\n  stop:   Ctrl-C\n\n`);
  }
  let stopping = false;
  const stop = (sig: string): void => {
    if (stopping) return;
    stopping = true;
    hub.log.info('hub', `stopping (${sig})`);
    hub.stop().then(() => process.exit(0), (err: unknown) => fail(err));
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

const num = (v: number, w: number, d = 2): string => (v === 0 ? '-' : v.toFixed(d)).padStart(w);

function row(t: Tick): string {
  const time = new Date(t.datetime + 8 * 3_600_000).toISOString().slice(11, 23);
  return `${time} ${`${t.symbol}.${t.exchange}`.padEnd(18)} ${num(t.last_price, 11)} ${num(t.volume, 10, 0)} ${num(t.bid_price_1, 11)} ${num(t.bid_volume_1, 6, 0)} ${num(t.ask_price_1, 11)} ${num(t.ask_volume_1, 6, 0)} ${num(t.open_interest, 10, 0)} ${t.source.padEnd(8)} ${String(t.seq).padStart(9)} ${((t.hub_pub_ts - t.hub_recv_ts) / 1000).toFixed(3).padStart(7)}`;
}

async function tail(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv, allowPositionals: true,
    options: { pub: { type: 'string' }, 'data-dir': { type: 'string' }, count: { type: 'string' } },
  });
  if (positionals.length === 0) throw new MdhubError('MDH_ERR_CLI_USAGE', { reason: 'name at least one instrument', usage: USAGE });
  for (const p of positionals) subscriptionPrefix(p); // bad patterns fail before anything connects
  const endpoint = values.pub ?? readReady(values['data-dir'] ?? '.mdhub').pub;
  const limit = values.count ? Number(values.count) : Infinity;
  const client = connect({ endpoint });
  const header = `${'time (CST)'.padEnd(12)} ${'instrument'.padEnd(18)} ${'last'.padStart(11)} ${'volume'.padStart(10)} ${'bid'.padStart(11)} ${'bidvol'.padStart(6)} ${'ask'.padStart(11)} ${'askvol'.padStart(6)} ${'oi'.padStart(10)} ${'source'.padEnd(8)} ${'seq'.padStart(9)} ${'hub ms'.padStart(7)}`;
  process.stdout.write(`connected to ${endpoint}\n${header}\n`);
  client.on('hub_down', (e: { silentMs: number }) => process.stdout.write(`-- hub silent for ${e.silentMs} ms (waiting; reconnects by itself)\n`));
  client.on('hub_restart', () => process.stdout.write('-- hub restarted (new run)\n'));
  let n = 0;
  const sub = client.subscribe(positionals);
  const stop = (): void => void client.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  for await (const t of sub) {
    process.stdout.write(`${row(t)}\n`);
    if (++n >= limit) break;
  }
  await client.close();
}

async function main(): Promise<void> {
  const [cmd, ...rest] = process.argv.slice(2);
  try {
    if (cmd === 'start') await start(rest);
    else if (cmd === 'tail') await tail(rest);
    else throw new MdhubError('MDH_ERR_CLI_USAGE', { reason: cmd ? `unknown command ${cmd}` : 'no command', usage: USAGE });
  } catch (err) {
    fail(err);
  }
}

void main();
