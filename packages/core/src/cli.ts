#!/usr/bin/env node
/**
 * The `mdhub` command line: `mdhub --help` lists every command, `mdhub <command> --help` its options
 * (cli/spec.ts declares them once). Database commands go through the configuration service, the one
 * place that writes; commands for a running hub go through its control socket.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Tick } from '@mdhub/protocol';
import { connect, parsePattern } from '@mdhub/client';
import { parseControlCommand } from './cli/control-command.js';
import { COMMANDS, overview, usageOf } from './cli/spec.js';
import type { CommandSpec } from './cli/spec.js';
import { openService, startHub } from './composition.js';
import type { ServiceHandle } from './composition.js';
import { logFileOptions, parseHubConfig, readConfigFile } from './config.js';
import { MdhubError, errorInfo } from './errors.js';
import { RemoteError, controlRequest } from './hub/control.js';
import { readReady } from './hub/run-files.js';
import type { Actor } from './service/config-service.js';
import { SecretBox, keyId, newKeyText, parseKeys, KEY_FILE, SECRET_KEY_ENV } from './store/secrets.js';
import { seedDemo } from './store/seed.js';
import { DEFAULT_ADMIN } from './store/passwords.js';
import { Logger } from './hub/logger.js';
import { MarketError } from './market/errors.js';
import { parseCalendarFile, storedYearData } from './market/calendar-import.js';
import { TradingCalendar } from './market/calendar.js';
import { loadMarketData } from './market/products.js';
import { DEFAULT_LAG_MIN, DEFAULT_LEAD_MIN, crontabLines, scheduleVerdict, shanghaiLabel } from './market/schedule.js';
import type { ScheduleVerdict, TradingWindow } from './market/schedule.js';
import { weekday } from './market/time.js';
import { calendarInForce } from './service/calendar-in-force.js';
import type { CalendarInForce } from './service/calendar-in-force.js';

type Values = Record<string, string | boolean | undefined>;

function usageError(reason: string, spec?: CommandSpec): MdhubError {
  return new MdhubError('MDH_ERR_CLI_USAGE', { reason, usage: spec ? usageOf(spec) : overview() });
}

function fail(err: unknown): never {
  if (err instanceof RemoteError) {
    process.stderr.write(`mdhub: ${err.message}${Object.keys(err.details).length ? ` ${JSON.stringify(err.details)}` : ''}\n`);
    process.exit(1);
  }
  const e = errorInfo(err);
  const { usage, reason, ...rest } = e.details ?? {};
  void reason; // already in the message
  process.stderr.write(`mdhub: ${e.message}${Object.keys(rest).length ? ` ${JSON.stringify(rest)}` : ''}\n${typeof usage === 'string' ? `\n${usage}\n` : ''}`);
  process.exit(err instanceof MdhubError && err.code === 'MDH_ERR_CLI_USAGE' ? 2 : 1);
}

process.on('unhandledRejection', (err) => {
  process.stderr.write(`${JSON.stringify({ level: 'error', ts: Date.now(), area: 'hub', msg: 'unhandled rejection', details: { error: String(err) } })}\n`);
});

const out = (s: string): void => void process.stdout.write(`${s}\n`);
const actor = (): Actor => ({ name: `cli:${os.userInfo().username}` });

function json(values: Values, flag: string): unknown {
  const v = values[flag];
  if (typeof v !== 'string') return undefined;
  try {
    return JSON.parse(v) as unknown;
  } catch (err) {
    throw new MdhubError('MDH_ERR_CLI_USAGE', { reason: `--${flag} is not JSON: ${(err as Error).message}` });
  }
}

function int(values: Values, flag: string, min: number, max: number): number | undefined {
  const v = values[flag];
  if (typeof v !== 'string') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new MdhubError('MDH_ERR_CLI_USAGE', { reason: `--${flag} must be an integer from ${min} to ${max}, got ${JSON.stringify(v)}` });
  return n;
}

function num(values: Values, flag: string): number | undefined {
  const v = values[flag];
  if (typeof v !== 'string') return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new MdhubError('MDH_ERR_CLI_USAGE', { reason: `--${flag} must be a number, got ${JSON.stringify(v)}` });
  return n;
}

const list = (v: string | boolean | undefined): string[] | undefined => (typeof v === 'string' ? v.split(',').map((x) => x.trim()).filter((x) => x !== '') : undefined);
const str = (v: string | boolean | undefined): string | undefined => (typeof v === 'string' ? v : undefined);
const orNone = (v: string | boolean | undefined): string | null | undefined => (typeof v !== 'string' ? undefined : v === 'none' ? null : v);

function need(values: Values, flag: string, spec: CommandSpec): string {
  const v = values[flag];
  if (typeof v !== 'string' || v === '') throw usageError(`--${flag} is required`, spec);
  return v;
}

function positional(pos: string[], i: number, what: string, spec: CommandSpec): string {
  const v = pos[i];
  if (v === undefined) throw usageError(`${what} is required`, spec);
  return v;
}

/** A fixed-width table of rows. */
function table(rows: Array<Record<string, unknown>>, columns: string[]): string {
  const cell = (v: unknown): string => (v === null || v === undefined ? '-' : typeof v === 'object' ? JSON.stringify(v) : String(v));
  const widths = columns.map((c) => Math.min(60, Math.max(c.length, ...rows.map((r) => cell(r[c]).length))));
  const line = (vals: string[]): string => vals.map((v, i) => (v.length > widths[i]! ? `${v.slice(0, widths[i]! - 1)}…` : v.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(columns), ...rows.map((r) => line(columns.map((c) => cell(r[c]))))].join('\n');
}

/** Reads secret lines: from standard input when piped (a line each), or prompted without echo on a terminal. */
async function readSecrets(prompts: string[]): Promise<string[]> {
  if (prompts.length === 0) return [];
  if (!process.stdin.isTTY) {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    const lines = Buffer.concat(chunks).toString('utf8').split(/\r?\n/);
    return prompts.map((p, i) => {
      const l = lines[i];
      if (l === undefined || l === '') throw new MdhubError('MDH_ERR_CLI_USAGE', { reason: `standard input has no line ${i + 1} (${p})` });
      return l;
    });
  }
  const answers: string[] = [];
  for (const p of prompts) {
    answers.push(await new Promise<string>((resolve) => {
      process.stderr.write(`${p}: `);
      const stdin = process.stdin;
      stdin.setRawMode(true);
      stdin.resume();
      let s = '';
      const onData = (d: Buffer): void => {
        for (const ch of d.toString('utf8')) {
          if (ch === '\r' || ch === '\n') {
            stdin.setRawMode(false);
            stdin.pause();
            stdin.off('data', onData);
            process.stderr.write('\n');
            resolve(s);
            return;
          }
          if (ch === '\u0003') process.exit(130);
          if (ch === '\u007f') s = s.slice(0, -1);
          else s += ch;
        }
      };
      stdin.on('data', onData);
    }));
  }
  return answers;
}

// ---- commands ----

async function withService<T>(values: Values, fn: (h: ServiceHandle) => Promise<T>, opts: { schema?: 'check' | 'none'; createKey?: boolean } = {}): Promise<T> {
  const h = await openService({ db: str(values['db']), dataDir: str(values['data-dir']) ?? '.mdhub', env: process.env, schema: opts.schema ?? 'check', createKey: opts.createKey ?? false });
  try {
    return await fn(h);
  } finally {
    await h.close();
  }
}

function applied(h: ServiceHandle, rev: number): string {
  return `configuration revision ${rev}: running hubs on ${h.repo.url} apply it within about a second`;
}

async function cmdStart(values: Values): Promise<void> {
  const file = typeof values['config'] === 'string' ? readConfigFile(values['config']) : {};
  const origins: Record<string, string> = {};
  for (const k of Object.keys(file)) origins[k] = `config file ${String(values['config'])}`;
  const env: Record<string, unknown> = {};
  if (process.env['MDHUB_DB_URL']) {
    env['db'] = process.env['MDHUB_DB_URL'];
    origins['db'] = 'MDHUB_DB_URL';
  }
  const flags: Record<string, unknown> = {};
  const map: Array<[string, string, (v: Values, f: string) => unknown]> = [
    ['data-dir', 'dataDir', (v, f) => v[f]], ['db', 'db', (v, f) => v[f]], ['pub', 'pub', (v, f) => v[f]], ['snapshot', 'snapshot', (v, f) => v[f]],
    ['http', 'http', (v, f) => v[f]], ['hub-id', 'hubId', (v, f) => v[f]], ['link', 'linkTransport', (v, f) => v[f]], ['sim-anchor', 'simAnchor', (v, f) => v[f]],
    ['clock-rate', 'clockRate', num], ['send-hwm', 'sendHighWaterMark', num], ['config-poll-ms', 'configPollMs', num],
    ['log-level', 'logLevel', (v, f) => v[f]], ['log-format', 'logFormat', (v, f) => v[f]], ['log-dir', 'logDir', (v, f) => v[f]],
    ['log-files-kept', 'logFilesKept', num], ['log-file-mb', 'logFileMb', num],
    ['dashboard', 'dashboard', (v, f) => v[f]], ['allowed-origins', 'allowedOrigins', (v, f) => String(v[f]).split(',').map((x) => x.trim()).filter((x) => x !== '')],
    ['tls-cert', 'tlsCert', (v, f) => v[f]], ['tls-key', 'tlsKey', (v, f) => v[f]], ['insecure-http', 'insecureHttp', (v, f) => v[f] === true],
  ];
  for (const [flag, key, read] of map) {
    if (values[flag] === undefined) continue;
    flags[key] = read(values, flag);
    origins[key] = `--${flag}`;
  }
  const config = parseHubConfig({ ...file, ...env, ...flags }, 'settings', origins);
  if (values['if-trading-day']) {
    const lead = int(values, 'lead', 0, 720) ?? DEFAULT_LEAD_MIN;
    const { calendar, note } = await calendarFor({ db: config.db, dataDir: config.dataDir });
    const v = scheduleVerdict(calendar, nowMs(), lead);
    const file = logFileOptions(config);
    const log = new Logger({ level: config.logLevel, ...(config.logFormat ? { format: config.logFormat } : {}), ...(file ? { file } : {}) });
    if (!v.start) {
      log.info('schedule', `not starting (--if-trading-day): ${v.reason}`, { date: v.date, trading_day: v.dateIsTradingDay, next_open: new Date(v.next.open).toISOString(), ...(note ? { note } : {}) });
      await log.flush();
      process.exit(0); // nothing else runs: cron sees exit 0 and one line
    }
    log.info('schedule', `starting (--if-trading-day): ${v.reason}`, { date: v.date, ...(note ? { note } : {}) });
    await log.flush();
    log.close();
  } else if (values['lead'] !== undefined) {
    throw usageError('--lead goes with --if-trading-day', COMMANDS.find((c) => c.name === 'start'));
  }
  const hub = await startHub(config);
  const r = hub.ready;
  const web = config.tlsCert !== undefined ? 'https' : 'http';
  hub.log.info('hub', `mdhub ${r.hubId} running${r.simulated ? ' on SIMULATED sources (shifted market clock)' : ''}`, {
    pub: r.pub, snapshot: r.snapshot, http: r.http, ...(r.http ? { dashboard: `${web}://${r.http}/` } : {}), sources: r.sources, run_id: r.runId, db: r.db,
  });
  if (process.stdout.isTTY) {
    process.stdout.write(`\n  ticks:  ${r.pub}   (try: npm run tail -- '*.SHFE'   or   /usr/bin/python3 examples/python/subscriber.py)\n  health: ${web}://${r.http}/healthz   metrics: ${web}://${r.http}/metrics\n  dashboard: ${web}://${r.http}/   (log in as admin / 123456, then change the password)\n  api:    ${web}://${r.http}/api   (docs/api.md)\n  config: npx mdhub gateway list   (changes apply live)\n  stop:   Ctrl-C or npx mdhub stop\n\n`);
  }
  let stopping = false;
  const stop = (sig: string): void => {
    if (stopping) return;
    stopping = true;
    hub.log.info('hub', `stopping (${sig})`);
    hub.stop().then(() => hub.log.flush().then(() => process.exit(0)), (err: unknown) => fail(err));
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

const numFmt = (v: number, w: number, d = 2): string => (v === 0 ? '-' : v.toFixed(d)).padStart(w);

function row(t: Tick): string {
  const time = new Date(t.datetime + 8 * 3_600_000).toISOString().slice(11, 23);
  return `${time} ${`${t.symbol}.${t.exchange}`.padEnd(18)} ${numFmt(t.last_price, 11)} ${numFmt(t.volume, 10, 0)} ${numFmt(t.bid_price_1, 11)} ${numFmt(t.bid_volume_1, 6, 0)} ${numFmt(t.ask_price_1, 11)} ${numFmt(t.ask_volume_1, 6, 0)} ${numFmt(t.open_interest, 10, 0)} ${t.source.padEnd(8)} ${String(t.seq).padStart(9)} ${((t.hub_pub_ts - t.hub_recv_ts) / 1000).toFixed(3).padStart(7)}`;
}

async function cmdTail(values: Values, pos: string[], spec: CommandSpec): Promise<void> {
  if (pos.length === 0) throw usageError('name at least one instrument', spec);
  for (const p of pos) parsePattern(p); // bad patterns fail before anything connects (the client's grammar: rb2701.SHFE, rb*.SHFE, *.SHFE, *)
  const endpoint = str(values['pub']) ?? readReady(str(values['data-dir']) ?? '.mdhub').pub;
  const limit = int(values, 'count', 1, Number.MAX_SAFE_INTEGER) ?? Infinity;
  const client = connect({ endpoint });
  const header = `${'time (CST)'.padEnd(12)} ${'instrument'.padEnd(18)} ${'last'.padStart(11)} ${'volume'.padStart(10)} ${'bid'.padStart(11)} ${'bidvol'.padStart(6)} ${'ask'.padStart(11)} ${'askvol'.padStart(6)} ${'oi'.padStart(10)} ${'source'.padEnd(8)} ${'seq'.padStart(9)} ${'hub ms'.padStart(7)}`;
  out(`connected to ${endpoint}\n${header}`);
  client.on('hub_down', (e: { silentMs: number }) => out(`-- hub silent for ${e.silentMs} ms (waiting; reconnects by itself)`));
  client.on('hub_restart', () => out('-- hub restarted (new run)'));
  let n = 0;
  const sub = client.subscribe(pos);
  const stop = (): void => void client.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  for await (const t of sub) {
    out(row(t));
    if (++n >= limit) break;
  }
  await client.close();
}

async function hubRequest(values: Values, op: string, args: Record<string, unknown> = {}): Promise<unknown> {
  const ready = readReady(str(values['data-dir']) ?? '.mdhub');
  return controlRequest(ready.control, op, { ...args, actor: actor().name });
}

async function cmdStop(values: Values): Promise<void> {
  const dataDir = str(values['data-dir']) ?? '.mdhub';
  let ready: ReturnType<typeof readReady>;
  try {
    ready = readReady(dataDir);
  } catch (err) {
    if (values['if-running'] && err instanceof MdhubError && err.code === 'MDH_ERR_HUB_NOT_RUNNING') return out(`no hub runs with ${dataDir}`);
    throw err;
  }
  await controlRequest(ready.control, 'stop', { actor: actor().name });
  const until = Date.now() + 20_000;
  const alive = (): boolean => {
    try {
      process.kill(ready.pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  while (alive() && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
  if (alive()) throw new MdhubError('MDH_ERR_CONTROL_TIMEOUT', { pid: ready.pid, reason: 'the hub is still running 20 s after it was asked to stop' });
  out(`stopped hub ${ready.hubId} (pid ${ready.pid})`);
}

async function cmdStatus(values: Values): Promise<void> {
  const s = (await hubRequest(values, 'status')) as { ready: Record<string, unknown>; health: { status: string; reasons: string[]; sources: Array<Record<string, unknown>>; db: Record<string, unknown> } };
  if (values['json']) return out(JSON.stringify(s, null, 2));
  const r = s.ready;
  out(`hub ${String(r['hubId'])} (pid ${String(r['pid'])}) ${s.health.status}${r['simulated'] ? ', SIMULATED sources' : ''}`);
  for (const reason of s.health.reasons) out(`  ${reason}`);
  out(`  pub ${String(r['pub'])}  snapshot ${String(r['snapshot'])}  http ${String(r['http'])}  db ${String(r['db'])} (revision ${String(s.health.db['revision'])})`);
  // Facts a gateway reported (CTP/SOPT: the vendor API version and the trading day its front gave at login).
  const rows = s.health.sources.map((g) => {
    const info = (g['info'] ?? {}) as Record<string, unknown>;
    return { ...g, api: info['api_version'], trading_day: info['trading_day'] };
  });
  const withInfo = rows.some((g) => g.api !== undefined || g.trading_day !== undefined);
  out(table(rows, ['id', 'state', 'reason', 'pid', 'restarts', 'pending', 'sent', ...(withInfo ? ['api', 'trading_day'] : [])]));
}

async function cmdGateway(sub: string, values: Values, pos: string[], spec: CommandSpec): Promise<void> {
  if (['start', 'stop', 'restart'].includes(sub)) {
    const id = positional(pos, 0, 'gateway ID', spec);
    const info = await hubRequest(values, `gateway.${sub}`, { id });
    return out(values['json'] ? JSON.stringify(info) : `${sub === 'stop' ? 'stopped' : sub === 'start' ? 'started' : 'restarted'} ${id} on this hub`);
  }
  if (sub === 'control') {
    const id = positional(pos, 0, 'gateway ID', spec);
    const parsed = parseControlCommand(pos.slice(1));
    if ('error' in parsed) throw usageError(parsed.error, spec);
    return out(JSON.stringify(await hubRequest(values, 'gateway.control', { id, cmd: parsed.cmd })));
  }
  await withService(values, async (h) => {
    const s = h.service;
    const a = actor();
    switch (sub) {
      case 'list': {
        const [{ rows, bad }, groups] = await Promise.all([s.gateways(), s.groups()]);
        const view = rows.map((g) => ({
          ...g, groups: groups.rows.filter((x) => x.sources.some((y) => y.gateway === g.id)).map((x) => `${x.name}:${x.sources.find((y) => y.gateway === g.id)!.priority}`).join(','),
        }));
        if (values['json']) return out(JSON.stringify({ gateways: view, bad }, null, 2));
        out(table(view, ['id', 'plugin', 'enabled', 'account_id', 'hub_id', 'groups', 'config']));
        for (const b of bad) out(`! ${b.table} ${b.key}: ${b.reason}`);
        return;
      }
      case 'add': {
        const g = await s.addGateway(a, {
          id: need(values, 'name', spec), plugin: need(values, 'plugin', spec), config: (json(values, 'config') ?? {}) as Record<string, unknown>,
          account: str(values['account']) ?? null, ...(values['group'] !== undefined ? { group: str(values['group'])! } : {}),
          ...(values['priority'] !== undefined ? { priority: int(values, 'priority', 1, 1_000_000)! } : {}),
          enabled: !values['disabled'], hub: str(values['hub']) ?? null, notes: str(values['notes']) ?? '',
        });
        out(`added gateway ${g.id} (${g.plugin}${g.enabled ? '' : ', disabled'}); ${applied(h, await s.revision())}`);
        if (values['group'] === undefined) out('  it races in every group that lists no sources (mdhub group source G ID adds it to one that does)');
        return;
      }
      case 'set': {
        const id = positional(pos, 0, 'gateway ID', spec);
        const patch = {
          ...(values['plugin'] !== undefined ? { plugin: str(values['plugin'])! } : {}),
          ...(values['config'] !== undefined ? { config: json(values, 'config') as Record<string, unknown> } : {}),
          ...(values['account'] !== undefined ? { account: orNone(values['account'])! } : {}),
          ...(values['hub'] !== undefined ? { hub: orNone(values['hub'])! } : {}),
          ...(values['notes'] !== undefined ? { notes: str(values['notes'])! } : {}),
        };
        if (Object.keys(patch).length === 0) throw usageError('nothing to change', spec);
        await s.setGateway(a, id, patch);
        return out(`changed gateway ${id}; ${applied(h, await s.revision())}`);
      }
      case 'enable':
      case 'disable': {
        const id = positional(pos, 0, 'gateway ID', spec);
        await s.enableGateway(a, id, sub === 'enable');
        return out(`${sub}d gateway ${id}; ${applied(h, await s.revision())}`);
      }
      case 'remove': {
        const id = positional(pos, 0, 'gateway ID', spec);
        await s.removeGateway(a, id);
        return out(`removed gateway ${id}; ${applied(h, await s.revision())}`);
      }
    }
  });
}

async function cmdAccount(sub: string, values: Values, pos: string[], spec: CommandSpec): Promise<void> {
  const prompts: string[] = [];
  if (values['password-stdin']) prompts.push('password');
  if (values['auth-code-stdin']) prompts.push('auth code');
  const interactive = sub === 'add' && process.stdin.isTTY && prompts.length === 0;
  if (interactive) prompts.push('password (empty: none)');
  const answers = interactive ? await readSecrets(prompts).catch(() => ['']) : await readSecrets(prompts);
  const secret = (name: string): string | undefined => {
    const i = prompts.findIndex((p) => p.startsWith(name));
    const v = i >= 0 ? answers[i] : undefined;
    return v === '' ? undefined : v;
  };
  await withService(values, async (h) => {
    const s = h.service;
    const a = actor();
    switch (sub) {
      case 'list': {
        const { rows, bad } = await s.accounts();
        if (values['json']) return out(JSON.stringify({ accounts: rows, bad }, null, 2));
        out(table(rows, ['id', 'kind', 'enabled', 'broker_id', 'user_id', 'fronts', 'app_id', 'has_password', 'has_auth_code', 'key_id']));
        for (const b of bad) out(`! ${b.table} ${b.key}: ${b.reason}`);
        return;
      }
      case 'add': {
        const password = secret('password');
        const authCode = secret('auth code');
        const v = await s.addAccount(a, {
          id: need(values, 'name', spec), kind: need(values, 'kind', spec) as 'ctp' | 'sopt', broker_id: need(values, 'broker-id', spec), user_id: need(values, 'user-id', spec),
          fronts: list(need(values, 'fronts', spec)) ?? [], app_id: str(values['app-id']) ?? '', notes: str(values['notes']) ?? '',
          ...(password ? { password } : {}), ...(authCode ? { auth_code: authCode } : {}),
        });
        return out(`added account ${v.id} (password ${v.has_password ? 'set' : 'not set'}, auth code ${v.has_auth_code ? 'set' : 'not set'}${v.key_id ? `, key ${v.key_id}` : ''}); ${applied(h, await s.revision())}`);
      }
      case 'enable':
      case 'disable': {
        const id = positional(pos, 0, 'account ID', spec);
        await s.enableAccount(a, id, sub === 'enable');
        return out(`${sub}d account ${id} (its gateways ${sub === 'enable' ? 'run again' : 'stop'} on every hub); ${applied(h, await s.revision())}`);
      }
      case 'set': {
        const id = positional(pos, 0, 'account ID', spec);
        const password = secret('password');
        const authCode = secret('auth code');
        const patch = {
          ...(values['kind'] !== undefined ? { kind: str(values['kind']) as 'ctp' | 'sopt' } : {}),
          ...(values['broker-id'] !== undefined ? { broker_id: str(values['broker-id'])! } : {}),
          ...(values['user-id'] !== undefined ? { user_id: str(values['user-id'])! } : {}),
          ...(values['fronts'] !== undefined ? { fronts: list(values['fronts'])! } : {}),
          ...(values['app-id'] !== undefined ? { app_id: str(values['app-id'])! } : {}),
          ...(values['notes'] !== undefined ? { notes: str(values['notes'])! } : {}),
          ...(password ? { password } : values['clear-password'] ? { password: null } : {}),
          ...(authCode ? { auth_code: authCode } : values['clear-auth-code'] ? { auth_code: null } : {}),
        };
        if (Object.keys(patch).length === 0) throw usageError('nothing to change', spec);
        await s.setAccount(a, id, patch);
        return out(`changed account ${id}; ${applied(h, await s.revision())}`);
      }
      case 'remove': {
        const id = positional(pos, 0, 'account ID', spec);
        await s.removeAccount(a, id);
        return out(`removed account ${id}`);
      }
    }
  }, { createKey: sub === 'add' || sub === 'set' });
}

async function cmdGroup(sub: string, values: Values, pos: string[], spec: CommandSpec): Promise<void> {
  await withService(values, async (h) => {
    const s = h.service;
    const a = actor();
    switch (sub) {
      case 'list': {
        const { rows, bad } = await s.groups();
        if (values['json']) return out(JSON.stringify({ groups: rows, bad }, null, 2));
        out(table(rows.map((g) => ({ ...g, sources: g.sources.length ? g.sources.map((x) => `${x.priority}:${x.gateway}`).join(' ') : '(every source)' })), ['ord', 'name', 'policy', 'instruments', 'sources', 'canaries', 'cleansing']));
        for (const b of bad) out(`! ${b.table} ${b.key}: ${b.reason}`);
        return;
      }
      case 'add': {
        const g = await s.addGroup(a, {
          name: need(values, 'name', spec), ...(values['policy'] !== undefined ? { policy: str(values['policy']) as 'race' | 'priority' } : {}),
          instruments: list(need(values, 'instruments', spec)) ?? [], ...(values['canaries'] !== undefined ? { canaries: list(values['canaries'])! } : {}),
          ...(values['cleansing'] !== undefined ? { cleansing: json(values, 'cleansing') as Record<string, unknown> } : {}),
          ...(values['ord'] !== undefined ? { ord: int(values, 'ord', -1_000_000, 1_000_000)! } : {}),
        });
        return out(`added group ${g.name} (${g.policy}, ${g.instruments.join(',')}); ${applied(h, await s.revision())}`);
      }
      case 'set': {
        const name = positional(pos, 0, 'group name', spec);
        const patch = {
          ...(values['policy'] !== undefined ? { policy: str(values['policy']) as 'race' | 'priority' } : {}),
          ...(values['instruments'] !== undefined ? { instruments: list(values['instruments'])! } : {}),
          ...(values['canaries'] !== undefined ? { canaries: list(values['canaries'])! } : {}),
          ...(values['cleansing'] !== undefined ? { cleansing: json(values, 'cleansing') as Record<string, unknown> } : {}),
          ...(values['ord'] !== undefined ? { ord: int(values, 'ord', -1_000_000, 1_000_000)! } : {}),
        };
        if (Object.keys(patch).length === 0) throw usageError('nothing to change', spec);
        await s.setGroup(a, name, patch);
        return out(`changed group ${name}; ${applied(h, await s.revision())}`);
      }
      case 'remove':
        await s.removeGroup(a, positional(pos, 0, 'group name', spec));
        return out(`removed group ${pos[0]!}; ${applied(h, await s.revision())}`);
      case 'source':
        await s.setGroupSource(a, positional(pos, 0, 'group name', spec), positional(pos, 1, 'gateway ID', spec), int(values, 'priority', 1, 1_000_000));
        return out(`${pos[1]!} is a source of group ${pos[0]!}; ${applied(h, await s.revision())}`);
      case 'unsource':
        await s.removeGroupSource(a, positional(pos, 0, 'group name', spec), positional(pos, 1, 'gateway ID', spec));
        return out(`${pos[1]!} is no longer a source of group ${pos[0]!}; ${applied(h, await s.revision())}`);
    }
  });
}

async function cmdPlugin(sub: string, values: Values, pos: string[], spec: CommandSpec): Promise<void> {
  await withService(values, async (h) => {
    const s = h.service;
    const a = actor();
    if (sub === 'list') {
      const { rows, bad } = await s.plugins();
      if (values['json']) return out(JSON.stringify({ plugins: rows, bad }, null, 2));
      out(table(rows, ['package', 'kind', 'enabled', 'config']));
      for (const b of bad) out(`! ${b.table} ${b.key}: ${b.reason}`);
      return;
    }
    const pkg = positional(pos, 0, 'PACKAGE', spec);
    switch (sub) {
      case 'add': {
        const p = await s.addPlugin(a, { package: pkg, enabled: !values['disabled'], ...(values['config'] !== undefined ? { config: json(values, 'config') } : {}) });
        return out(`registered ${p.kind} plugin ${p.package}; ${applied(h, await s.revision())}`);
      }
      case 'set':
        if (values['config'] === undefined) throw usageError('nothing to change: --config JSON', spec);
        await s.setPlugin(a, pkg, { config: json(values, 'config') });
        return out(`changed plugin ${pkg}; ${applied(h, await s.revision())}`);
      case 'enable':
      case 'disable':
        await s.setPlugin(a, pkg, { enabled: sub === 'enable' });
        return out(`${sub}d plugin ${pkg}; ${applied(h, await s.revision())}`);
      case 'remove':
        await s.removePlugin(a, pkg);
        return out(`removed plugin ${pkg}; ${applied(h, await s.revision())}`);
    }
  });
}

async function cmdSettings(sub: string, values: Values, pos: string[], spec: CommandSpec): Promise<void> {
  await withService(values, async (h) => {
    const s = h.service;
    switch (sub) {
      case 'list': {
        const r = await s.settings();
        if (values['json']) return out(JSON.stringify(r, null, 2));
        out(table([...r.rows.map((x) => ({ hub: '(every hub)', key: x.key, value: x.value })), ...r.overrides.map((x) => ({ hub: x.hub_id, key: x.key, value: x.value }))], ['hub', 'key', 'value']));
        return;
      }
      case 'set': {
        const key = positional(pos, 0, 'KEY', spec);
        let value: unknown;
        try {
          value = JSON.parse(positional(pos, 1, 'JSON value', spec));
        } catch (err) {
          throw usageError(`the value is not JSON: ${(err as Error).message}`, spec);
        }
        await s.setSetting(actor(), key, value, str(values['hub']));
        return out(`set ${key}${values['hub'] ? ` for hub ${String(values['hub'])}` : ''}; ${applied(h, await s.revision())}`);
      }
      case 'unset':
        await s.unsetSetting(actor(), positional(pos, 0, 'KEY', spec), str(values['hub']));
        return out(`unset ${pos[0]!}; ${applied(h, await s.revision())}`);
    }
  });
}

async function cmdDb(sub: string, values: Values): Promise<void> {
  if (sub === 'migrate') {
    await withService(values, async (h) => {
      const r = await h.repo.migrate();
      const admin = await h.service.ensureAdmin();
      out(r.from === r.to ? `${h.repo.url}: schema ${r.to} is current` : `${h.repo.url}: migrated schema ${r.from} → ${r.to}`);
      if (admin) out(`created dashboard user ${DEFAULT_ADMIN.username} with password ${DEFAULT_ADMIN.password}: it must be changed at first login`);
    }, { schema: 'none' });
    return;
  }
  await withService(values, async (h) => {
    if (sub === 'status') {
      const [schema, revision, g, grp, acc, pl] = await Promise.all([h.repo.schema(), h.repo.revision(), h.repo.list('gateways'), h.repo.list('groups'), h.repo.list('accounts'), h.repo.list('plugins')]);
      const r = { url: h.repo.url, backend: h.repo.backend, schema, revision, gateways: g.rows.length, groups: grp.rows.length, accounts: acc.rows.length, plugins: pl.rows.length, bad_rows: [...g.bad, ...grp.bad, ...acc.bad, ...pl.bad] };
      return out(values['json'] ? JSON.stringify(r, null, 2) : `${r.url} (${r.backend}): schema ${schema.current} of ${schema.latest}, revision ${revision}; ${r.gateways} gateways, ${r.groups} groups, ${r.accounts} accounts, ${r.plugins} plugins${r.bad_rows.length ? `, ${r.bad_rows.length} malformed rows` : ''}`);
    }
    await seedDemo(h.service, actor());
    out(`added the demo (sim-a, sim-b, sim-c in group default); ${applied(h, await h.service.revision())}`);
  });
}

async function cmdConfig(sub: string, values: Values, pos: string[], spec: CommandSpec): Promise<void> {
  await withService(values, async (h) => {
    if (sub === 'export') {
      const doc = await h.service.exportConfig(actor(), { withSecrets: Boolean(values['with-secrets']) });
      const text = `${JSON.stringify(doc, null, 2)}\n`;
      const file = str(values['out']);
      if (values['with-secrets']) process.stderr.write('mdhub: the export holds decrypted secrets: keep it private and delete it after the import\n');
      if (file) {
        // 0600 before a byte is written, also when the file existed with a wider mode
        const fd = fs.openSync(file, 'w', 0o600);
        try {
          fs.fchmodSync(fd, 0o600);
          fs.writeSync(fd, text);
        } finally {
          fs.closeSync(fd);
        }
        out(`wrote ${file}`);
      } else process.stdout.write(text);
      return;
    }
    const file = positional(pos, 0, 'FILE', spec);
    let doc: unknown;
    try {
      doc = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (err) {
      throw new MdhubError('MDH_ERR_CONFIG_FILE_UNREADABLE', { file, reason: (err as Error).message }, err);
    }
    const counts = await h.service.importConfig(actor(), doc, { replace: Boolean(values['replace']) });
    out(`imported ${Object.entries(counts).map(([k, v]) => `${v} ${k}`).join(', ')} into ${h.repo.url}; ${applied(h, await h.service.revision())}`);
  }, { createKey: sub === 'import' });
}

async function cmdSecrets(sub: string, values: Values): Promise<void> {
  if (sub === 'new-key') return out(newKeyText());
  const dataDir = str(values['data-dir']) ?? '.mdhub';
  await withService(values, async (h) => {
    const s = h.service;
    if (sub === 'status') {
      const st = await s.secretStatus();
      if (values['json']) return out(JSON.stringify(st, null, 2));
      out(`key ${st.key_id ?? '(none)'} from ${st.source}; the database expects ${st.stored_key_id ?? '(no secret stored yet)'}; ${st.readable} of ${st.encrypted} secrets decrypt${st.unreadable.length ? ` (not: ${st.unreadable.join(', ')})` : ''}`);
      return;
    }
    // rotate
    const src = h.secrets.source;
    if (src.kind === 'env') {
      const keys = parseKeys(process.env[SECRET_KEY_ENV] ?? '', SECRET_KEY_ENV);
      if (keys.length < 2) throw new MdhubError('MDH_ERR_CLI_USAGE', { reason: `put the new key first and keep the old one: ${SECRET_KEY_ENV}=NEW,OLD (mdhub secrets new-key prints a new key)` });
      const r = await s.rotateSecrets(actor(), new SecretBox(keys, { kind: 'env' }));
      return out(`re-encrypted ${r.secrets} secrets with key ${r.to} (was ${r.from ?? 'none'}); set ${SECRET_KEY_ENV} to the new key alone on every hub`);
    }
    if (src.kind !== 'file') throw new MdhubError('MDH_ERR_SECRET_KEY_MISSING', { expected: await s.storedKeyId(), reason: `no key to rotate from: set ${SECRET_KEY_ENV} or restore ${path.join(dataDir, KEY_FILE)}` });
    const text = newKeyText();
    const fresh = parseKeys(text, 'new key');
    const next = new SecretBox([...fresh, ...h.secrets.keys()], { kind: 'file', file: src.file });
    // The new key is on disk before any secret uses it (a sibling of the key file: hubs and later commands
    // read it to decrypt), and it becomes the key file only once the database has switched to it.
    const pending = `${src.file}.new`;
    fs.writeFileSync(pending, `${text}\n`, { mode: 0o600 });
    const swap = (from: string | null): string => {
      const current = parseKeys(fs.readFileSync(src.file, 'utf8'), src.file)[0]!;
      const old = `${src.file}.${from ?? keyId(current.key)}.old`;
      fs.renameSync(src.file, old);
      fs.renameSync(pending, src.file);
      return old;
    };
    try {
      const r = await s.rotateSecrets(actor(), next);
      const old = swap(r.from);
      out(`re-encrypted ${r.secrets} secrets with key ${r.to} (was ${r.from ?? 'none'}); the old key is kept in ${old}: delete it once every hub has restarted or read the new key`);
    } catch (err) {
      const to = fresh[0]!.id;
      const stored = await s.storedKeyId().catch(() => null);
      const used = (await h.repo.list('accounts').catch(() => ({ rows: [] as Array<{ password_enc: string | null; auth_code_enc: string | null }> }))).rows
        .some((a) => [a.password_enc, a.auth_code_enc].some((ct) => ct !== null && SecretBox.keyIdOf(ct) === to));
      if (stored === to) {
        swap(null);
        process.stderr.write(`mdhub: the secrets are under the new key ${to}; the key file is swapped\n`);
      } else if (!used) {
        fs.rmSync(pending, { force: true });
      } else {
        process.stderr.write(`mdhub: the rotation stopped halfway: ${pending} holds the key of some secrets; keep it and run mdhub secrets rotate again\n`);
      }
      throw err;
    }
  });
}

async function cmdUser(sub: string, values: Values, pos: string[], spec: CommandSpec): Promise<void> {
  const needsPassword = sub === 'add' || sub === 'reset-password';
  if (needsPassword && !values['password-stdin'] && !process.stdin.isTTY) throw usageError('give the password with --password-stdin (or run it on a terminal to be prompted)', spec);
  const [password] = needsPassword ? await readSecrets(['password']) : [];
  await withService(values, async (h) => {
    const s = h.service;
    switch (sub) {
      case 'list': {
        const rows = await s.users();
        return out(values['json'] ? JSON.stringify(rows, null, 2) : table(rows, ['username', 'must_change', 'created_at', 'last_login_at']));
      }
      case 'add':
        await s.addUser(actor(), positional(pos, 0, 'NAME', spec), password!, Boolean(values['must-change']));
        return out(`added user ${pos[0]!}`);
      case 'reset-password':
        await s.resetPassword(actor(), positional(pos, 0, 'NAME', spec), password!, Boolean(values['must-change']));
        return out(`set the password of ${pos[0]!}`);
      case 'remove':
        await s.removeUser(actor(), positional(pos, 0, 'NAME', spec));
        return out(`removed user ${pos[0]!}`);
    }
  });
}

async function cmdAudit(values: Values): Promise<void> {
  const since = str(values['since']);
  const sinceMs = since !== undefined ? Date.parse(since) : undefined;
  if (sinceMs !== undefined && Number.isNaN(sinceMs)) throw new MdhubError('MDH_ERR_CLI_USAGE', { reason: `--since is not a time: ${since}` });
  await withService(values, async (h) => {
    const rows = await h.service.auditLog({
      ...(sinceMs !== undefined ? { since: sinceMs } : {}), ...(values['action'] !== undefined ? { action: str(values['action'])! } : {}), limit: int(values, 'limit', 1, 10_000) ?? 100,
    });
    if (values['json']) return out(JSON.stringify(rows, null, 2));
    out(table(rows.map((r) => ({ ...r, ts: new Date(r.ts).toISOString() })), ['ts', 'actor', 'action', 'target', 'hub_id', 'details']));
  });
}

// ---- schedule and calendar ----

/**
 * "Now" for the schedule commands: the wall clock, or MDHUB_NOW (an ISO time; a test hook, documented
 * in docs/operations.md) so tests judge a holiday or a weekend at any hour.
 */
function nowMs(): number {
  const fake = process.env['MDHUB_NOW'];
  if (fake === undefined || fake === '') return Date.now();
  return parseAt(fake, 'MDHUB_NOW');
}

/** An ISO time; without an offset it is Asia/Shanghai wall time (`2027-01-29T20:45`, `2027-01-29 20:45`). */
function parseAt(text: string, what: string): number {
  const m = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)(Z|[+-]\d{2}:?\d{2})?$/.exec(text.trim());
  const ms = m ? Date.parse(`${m[1]!}T${m[2]!}${m[3] ?? '+08:00'}`) : Number.NaN;
  if (Number.isNaN(ms)) throw new MdhubError('MDH_ERR_CLI_USAGE', { reason: `${what} is not a time: ${JSON.stringify(text)} (e.g. 2027-01-29T20:45 in Asia/Shanghai, or 2027-01-29T12:45Z)` });
  return ms;
}

/**
 * The calendar in force for a command: the shipped one with the years stored in the database. A
 * database that cannot be read leaves the shipped calendar, with a note saying so.
 */
async function calendarFor(o: { db?: string | undefined; dataDir: string }): Promise<{ calendar: TradingCalendar; inForce?: CalendarInForce; note?: string }> {
  try {
    const h = await openService({ db: o.db, dataDir: o.dataDir, env: process.env, schema: 'check', createKey: false });
    try {
      const inForce = await calendarInForce(h.service);
      return { calendar: inForce.calendar, inForce };
    } finally {
      await h.close();
    }
  } catch (err) {
    return { calendar: new TradingCalendar(loadMarketData()), note: `the database could not be read, so imported calendar years are not applied: ${errorInfo(err).message}` };
  }
}

const WEEKDAY = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const isoDay = (d: string): string => `${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6)}`;
const windowView = (w: TradingWindow): Record<string, unknown> => ({
  trading_day: isoDay(w.tradingDay), part: w.part, open: new Date(w.open).toISOString(), close: new Date(w.close).toISOString(),
  open_shanghai: shanghaiLabel(w.open), close_shanghai: shanghaiLabel(w.close),
});

async function cmdSchedule(sub: string, values: Values): Promise<void> {
  if (sub === 'crontab') return cmdCrontab(values);
  const at = values['at'] !== undefined ? parseAt(String(values['at']), '--at') : nowMs();
  const lead = int(values, 'lead', 0, 720) ?? DEFAULT_LEAD_MIN;
  const { calendar, inForce, note } = await calendarFor({ db: str(values['db']) ?? (process.env['MDHUB_DB_URL'] || undefined), dataDir: str(values['data-dir']) ?? '.mdhub' });
  const v: ScheduleVerdict = scheduleVerdict(calendar, at, lead);
  if (values['json']) {
    return out(JSON.stringify({
      at: new Date(at).toISOString(), at_shanghai: shanghaiLabel(at), date: isoDay(v.date), weekday: WEEKDAY[weekday(v.date)], date_is_trading_day: v.dateIsTradingDay,
      trading_day: v.tradingDay === null ? null : isoDay(v.tradingDay), start: v.start, action: v.start ? 'run' : 'stay stopped', reason: v.reason, lead_min: lead,
      current: v.current ? windowView(v.current) : null, next: windowView(v.next), calendar_ends_on: isoDay(calendar.dataEndsOn()),
      imported_years: inForce?.imported.map((y) => y.year) ?? [], ...(note ? { note } : {}),
    }, null, 2));
  }
  out(`at ${shanghaiLabel(at)} Asia/Shanghai (${WEEKDAY[weekday(v.date)]!}): ${isoDay(v.date)} is ${v.dateIsTradingDay ? 'a trading day' : 'not a trading day'}${v.tradingDay ? `; the instant belongs to trading day ${isoDay(v.tradingDay)}` : ''}`);
  if (v.current) out(`open now: ${v.current.part} session of trading day ${isoDay(v.current.tradingDay)}, ${shanghaiLabel(v.current.open)} – ${shanghaiLabel(v.current.close)}`);
  out(`next: ${v.next.part} session of trading day ${isoDay(v.next.tradingDay)}, ${shanghaiLabel(v.next.open)} – ${shanghaiLabel(v.next.close)}`);
  out(`mdhub start --if-trading-day --lead ${lead}: ${v.start ? 'starts the hub' : 'exits without starting'} (${v.reason})`);
  if (note) out(`note: ${note}`);
}

function cmdCrontab(values: Values): void {
  const lead = int(values, 'lead', 0, 720) ?? DEFAULT_LEAD_MIN;
  const lag = int(values, 'lag', 0, 720) ?? DEFAULT_LAG_MIN;
  const zone = str(values['tz']) ?? (process.env['TZ'] || Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC');
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
  } catch {
    throw new MdhubError('MDH_ERR_CLI_USAGE', { reason: `--tz names no time zone: ${zone} (IANA names: UTC, Asia/Shanghai, Europe/London)` });
  }
  const at = values['at'] !== undefined ? parseAt(String(values['at']), '--at') : nowMs();
  const q = (s: string): string => (/^[A-Za-z0-9_./:=@%+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
  let start: string;
  let stop: string;
  const header: string[] = [];
  if (values['docker']) {
    const dir = path.resolve(str(values['compose-dir']) ?? '.');
    // The compose service runs `mdhub start --if-trading-day`: on a non-trading day it exits 0 at once, and
    // restart: on-failure does not restart a clean exit.
    // The hub only: MariaDB (the configuration and the alert incidents) keeps running between sessions.
    const compose = 'docker compose --env-file docker/.env -f docker/compose.yaml';
    start = `cd ${q(dir)} && ${compose} up -d hub`;
    stop = `cd ${q(dir)} && ${compose} stop hub`;
    header.push(
      `# Docker: ${path.join(dir, 'docker/compose.yaml')}'s hub service runs "mdhub start --if-trading-day --lead ${lead}" (it exits 0 on a non-trading day); the database keeps running.`,
      '# docker compose v2 (Ubuntu 24.04: docker-compose-v2). With the v1 docker-compose, write docker-compose instead of docker compose.',
    );
  } else {
    const dataDir = path.resolve(str(values['data-dir']) ?? '.mdhub');
    const cli = path.resolve(process.argv[1] ?? 'mdhub');
    const base = `${q(process.execPath)} ${q(cli)}`;
    const cfg = values['config'] !== undefined ? ` --config ${q(path.resolve(String(values['config'])))}` : '';
    const logFile = path.join(dataDir, 'cron.log');
    start = `${base} start --if-trading-day --lead ${lead} --data-dir ${q(dataDir)}${cfg} >> ${q(logFile)} 2>&1`;
    stop = `${base} stop --if-running --data-dir ${q(dataDir)} >> ${q(logFile)} 2>&1`;
  }
  const lines = crontabLines({ calendar: new TradingCalendar(loadMarketData()), startCommand: start, stopCommand: stop, leadMin: lead, lagMin: lag, zone, at });
  out([...lines.slice(0, 3), ...header, ...lines.slice(3)].join('\n'));
}

async function cmdCalendar(sub: string, values: Values, pos: string[], spec: CommandSpec): Promise<void> {
  if (sub === 'import') {
    const file = positional(pos, 0, 'FILE', spec);
    let raw: unknown;
    try {
      raw = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (err) {
      throw new MarketError('MDH_ERR_CALENDAR_BAD_FILE', { file, reason: (err as Error).message }, err);
    }
    let years;
    try {
      years = parseCalendarFile(raw);
    } catch (err) {
      if (err instanceof MarketError) throw new MarketError(err.code, { file, ...err.details }, err.cause);
      throw err;
    }
    const ends = Math.max(...years.map((y) => y.year));
    await withService(values, async (h) => {
      await h.service.importCalendar(actor(), years.map((y) => ({ year: y.year, data: storedYearData(y) })), path.resolve(file));
      for (const y of years) out(`imported ${y.year}: ${y.holidays.length} weekday closures, ${y.noNightEvenings.length} evenings without a night session`);
      out(`the calendar in force now ends on ${ends}-12-31 (if no later year is stored); running hubs read it at their next start, and their daily check sees it at once`);
    });
    return;
  }
  if (sub === 'remove') {
    const year = Number(positional(pos, 0, 'YEAR', spec));
    if (!Number.isInteger(year) || year < 2000 || year > 2100) throw usageError(`YEAR must be a year such as 2027, got ${JSON.stringify(pos[0])}`, spec);
    await withService(values, async (h) => {
      const stored = (await h.service.calendarOverrides()).rows.some((r) => r.id === String(year));
      if (!stored) throw usageError(`${year} is not an imported year (mdhub calendar show lists them)`, spec);
      await h.service.removeCalendarYear(actor(), year);
      out(`removed the imported ${year}: the shipped calendar applies to it again`);
    });
    return;
  }
  // show
  const year = pos[0] === undefined ? undefined : Number(pos[0]);
  if (year !== undefined && (!Number.isInteger(year) || year < 2000 || year > 2100)) throw usageError(`YEAR must be a year such as 2027, got ${JSON.stringify(pos[0])}`, spec);
  await withService(values, async (h) => {
    const inForce = await calendarInForce(h.service);
    const data = inForce.calendar.marketData();
    const imported = new Map(inForce.imported.map((y) => [y.year, y]));
    const years = year !== undefined ? [year] : data.holidayYears;
    const view = years.map((y) => {
      const imp = imported.get(y);
      const inYear = (d: string): boolean => d.startsWith(String(y));
      return {
        year: y,
        source: imp ? `imported ${new Date(imp.imported_at).toISOString()} from ${imp.source}` : data.holidayYears.includes(y) ? `shipped markets.json ${loadMarketData().version}` : 'no data: every weekday counts as a trading day',
        holidays: data.holidays.filter(inYear).map(isoDay),
        no_night_evenings: data.noNightEvenings.filter((d) => inYear(d) || (imp?.noNightEvenings.includes(d) ?? false)).map(isoDay),
      };
    });
    const endsOn = isoDay(inForce.calendar.dataEndsOn());
    if (values['json']) return out(JSON.stringify({ ends_on: endsOn, years: view, bad: inForce.bad }, null, 2));
    out(`calendar data in force ends on ${endsOn}${inForce.imported.length ? ` (imported: ${inForce.imported.map((y) => y.year).join(', ')})` : ''}`);
    for (const y of view) {
      out(`\n${y.year}: ${y.source}`);
      out(`  closed (weekdays): ${y.holidays.length ? y.holidays.map((d) => `${d} ${WEEKDAY[weekday(d.replaceAll('-', ''))]!}`).join(', ') : '-'}`);
      out(`  no night session on the evenings of: ${y.no_night_evenings.length ? y.no_night_evenings.join(', ') : '-'}`);
    }
    for (const b of inForce.bad) out(`! stored year ${b.id} is malformed and ignored: ${b.reason}`);
  });
}

/** Finds the command named by the first one or two words. */
function findCommand(argv: string[]): { spec: CommandSpec; rest: string[] } | null {
  const two = `${argv[0] ?? ''} ${argv[1] ?? ''}`;
  const s2 = COMMANDS.find((c) => c.name === two);
  if (s2) return { spec: s2, rest: argv.slice(2) };
  const s1 = COMMANDS.find((c) => c.name === argv[0]);
  return s1 ? { spec: s1, rest: argv.slice(1) } : null;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  try {
    if (argv.length === 0) throw usageError('no command');
    if (argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') return out(overview());
    const found = findCommand(argv);
    if (!found) {
      const group = COMMANDS.filter((c) => c.name.startsWith(`${argv[0]} `));
      if (group.length > 0) {
        const text = [`usage: mdhub ${argv[0]} <${group.map((c) => c.name.split(' ')[1]).join('|')}> [options]`, '', ...group.map((c) => `  ${c.name.padEnd(24)}${c.summary}`)].join('\n');
        if (argv[1] === undefined || argv[1] === '--help' || argv[1] === '-h') return out(text);
        throw new MdhubError('MDH_ERR_CLI_USAGE', { reason: `unknown command ${argv[0]} ${argv[1]}`, usage: text });
      }
      throw usageError(`unknown command ${argv[0]!}`);
    }
    const { spec, rest } = found;
    let parsed: { values: Values; positionals: string[] };
    try {
      const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = { help: { type: 'boolean', short: 'h' } };
      for (const [k, f] of Object.entries(spec.flags)) options[k] = { type: f.type };
      parsed = parseArgs({ args: rest, options, strict: true, allowPositionals: true }) as { values: Values; positionals: string[] };
    } catch (err) {
      throw usageError((err as Error).message.replace(/\. To specify a positional argument.*$/s, ''), spec);
    }
    const { values, positionals: pos } = parsed;
    if (values['help']) return out(usageOf(spec));
    if (!spec.positionals && pos.length > 0) throw usageError(`unexpected argument ${pos[0]!}`, spec);
    const [group, sub = ''] = spec.name.split(' ');
    switch (group) {
      case 'start': return await cmdStart(values);
      case 'stop': return await cmdStop(values);
      case 'status': return await cmdStatus(values);
      case 'tail': return await cmdTail(values, pos, spec);
      case 'gateway': return await cmdGateway(sub, values, pos, spec);
      case 'account': return await cmdAccount(sub, values, pos, spec);
      case 'group': return await cmdGroup(sub, values, pos, spec);
      case 'plugin': return await cmdPlugin(sub, values, pos, spec);
      case 'settings': return await cmdSettings(sub, values, pos, spec);
      case 'db': return await cmdDb(sub, values);
      case 'config': return await cmdConfig(sub, values, pos, spec);
      case 'secrets': return await cmdSecrets(sub, values);
      case 'user': return await cmdUser(sub, values, pos, spec);
      case 'audit': return await cmdAudit(values);
      case 'schedule': return await cmdSchedule(sub, values);
      case 'calendar': return await cmdCalendar(sub, values, pos, spec);
    }
  } catch (err) {
    fail(err);
  }
}

void main();
