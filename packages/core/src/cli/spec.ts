/**
 * Every command and flag of the `mdhub` CLI, declared once: the parser, `--help` and the README's
 * options table (kept in step by a test) all read this.
 */
export interface FlagSpec {
  type: 'string' | 'boolean';
  /** Placeholder in usage (`URL`, `ID`). */
  arg?: string;
  description: string;
  multiple?: boolean;
}

export interface CommandSpec {
  /** `start`, `gateway add`. */
  name: string;
  summary: string;
  /** Positional arguments, as shown in usage (`ID`, `FILE`, `INSTRUMENT...`). */
  positionals?: string;
  flags: Record<string, FlagSpec>;
  /** Talks to the database (gets --db / --data-dir), or to a running hub (gets --data-dir). */
  uses?: 'db' | 'hub';
}

const DB: Record<string, FlagSpec> = {
  db: { type: 'string', arg: 'URL', description: 'database: sqlite:PATH, mysql://USER:PASS@HOST:PORT/DB, mongodb://HOST:PORT/DB (or MDHUB_DB_URL); default: sqlite in the data folder' },
  'data-dir': { type: 'string', arg: 'DIR', description: 'data folder (embedded database, secret key file, ready.json, control socket); default .mdhub' },
};
const HUB: Record<string, FlagSpec> = {
  'data-dir': { type: 'string', arg: 'DIR', description: 'data folder of the running hub; default .mdhub' },
};
const JSON_OUT: Record<string, FlagSpec> = { json: { type: 'boolean', description: 'print JSON instead of a table' } };
const LEAD: FlagSpec = { type: 'string', arg: 'MIN', description: 'minutes before a session opens that the hub starts, default 10' };
const AT: FlagSpec = { type: 'string', arg: 'TIME', description: 'the moment to judge instead of now: ISO, e.g. 2027-01-29T20:45 (no offset: Asia/Shanghai) or 2027-01-29T12:45Z' };
const PASSWORD_STDIN: FlagSpec = { type: 'boolean', description: 'read the password from standard input (first line); a terminal is prompted without echo' };

export const COMMANDS: CommandSpec[] = [
  {
    name: 'start', summary: 'run the hub (the embedded default: SQLite and three simulated sources)',
    flags: {
      config: { type: 'string', arg: 'FILE', description: 'JSON file of process settings (camelCase keys: dataDir, db, pub, snapshot, http, hubId, linkTransport, sendHighWaterMark, simAnchor, clockRate, configPollMs, logLevel, logFormat, dashboard, allowedOrigins, tlsCert, tlsKey, insecureHttp)' },
      'data-dir': { type: 'string', arg: 'DIR', description: 'database, secret key, ready.json (real endpoints), control socket, record of child processes; default .mdhub' },
      db: DB['db']!,
      pub: { type: 'string', arg: 'ENDPOINT', description: 'PUB endpoint, default tcp://127.0.0.1:7701; tcp://0.0.0.0:7701 serves the LAN; tcp://127.0.0.1:* picks a free port' },
      snapshot: { type: 'string', arg: 'ENDPOINT', description: 'snapshot service (last tick per instrument, reference data), default tcp://127.0.0.1:7702' },
      http: { type: 'string', arg: 'HOST:PORT', description: 'the dashboard, the control API, /healthz and /metrics; default 127.0.0.1:7700; off to disable' },
      dashboard: { type: 'string', arg: 'DIR|off', description: "the dashboard's built files served on the HTTP port; default @mdhub/dashboard's out/ (npm start builds it when missing); off serves none" },
      'allowed-origins': { type: 'string', arg: 'ORIGIN,...', description: 'origins besides the hub\'s own that may change state through the API and open its WebSocket (a reverse proxy: https://hub.example:443)' },
      'tls-cert': { type: 'string', arg: 'FILE', description: 'PEM certificate: the HTTP listener serves https and wss (with --tls-key)' },
      'tls-key': { type: 'string', arg: 'FILE', description: 'PEM private key of --tls-cert' },
      'insecure-http': { type: 'boolean', description: 'allow plain HTTP on an address other than loopback (behind a TLS reverse proxy, or a network you trust); without it such an --http needs TLS' },
      'hub-id': { type: 'string', arg: 'ID', description: 'names the hub on the wire and its IPC sockets; default the host name' },
      link: { type: 'string', arg: 'ipc|tcp', description: 'gateway link transport, default ipc (abstract sockets)' },
      'sim-anchor': { type: 'string', arg: 'ISO', description: 'simulated hubs: market time at start, e.g. 2026-11-25T09:35:00+08:00; default the latest trading day 09:35' },
      'clock-rate': { type: 'string', arg: 'N', description: 'simulated hubs: market ms per real ms, default 1' },
      'send-hwm': { type: 'string', arg: 'N', description: 'PUB high-water mark per subscriber in messages, default 100000 (at most 10000000)' },
      'config-poll-ms': { type: 'string', arg: 'MS', description: 'how often the configuration revision is polled, default 1000' },
      'log-level': { type: 'string', arg: 'LEVEL', description: 'debug, info (default), warn or error' },
      'log-format': { type: 'string', arg: 'json|pretty', description: 'log format; default pretty on a terminal, json otherwise' },
      'log-dir': { type: 'string', arg: 'DIR|off', description: 'rotated JSON log files (a new one daily and at --log-file-mb); default DATA_DIR/logs' },
      'log-files-kept': { type: 'string', arg: 'N', description: 'log files kept, the current one included (default 14)' },
      'log-file-mb': { type: 'string', arg: 'MB', description: 'largest log file before it rotates (default 100)' },
      'if-trading-day': { type: 'boolean', description: 'start only when a trading session opens within the lead time or is open (the calendar in force); otherwise exit 0 with one log line (cron)' },
      lead: LEAD,
    },
  },
  { name: 'stop', summary: 'stop the hub running with a data folder (through its control socket)', uses: 'hub', flags: { ...HUB, 'if-running': { type: 'boolean', description: 'exit 0 when no hub runs with the data folder (cron)' } } },
  { name: 'status', summary: 'show the running hub: endpoints, health, sources', uses: 'hub', flags: { ...HUB, ...JSON_OUT } },
  {
    name: 'tail', summary: 'print live ticks (rb2701.SHFE, rb*.SHFE, *.SHFE, *)', positionals: 'INSTRUMENT...',
    flags: {
      pub: { type: 'string', arg: 'ENDPOINT', description: "the hub's PUB endpoint (default: from the data folder's ready.json)" },
      'data-dir': HUB['data-dir']!,
      count: { type: 'string', arg: 'N', description: 'stop after N ticks' },
    },
  },

  { name: 'gateway list', summary: 'list gateway instances', uses: 'db', flags: { ...DB, ...JSON_OUT } },
  {
    name: 'gateway add', summary: 'add a gateway instance', uses: 'db',
    flags: {
      ...DB,
      name: { type: 'string', arg: 'ID', description: 'instance id (1-40 letters, digits, _ or -)' },
      plugin: { type: 'string', arg: 'PACKAGE', description: 'gateway plugin package (registered on first use), e.g. @mdhub/gateway-sim' },
      config: { type: 'string', arg: 'JSON', description: "the plugin's configuration (credentials belong to the account)" },
      account: { type: 'string', arg: 'ID', description: 'broker account supplying fronts and credentials' },
      group: { type: 'string', arg: 'G', description: 'instrument group to join as a source' },
      priority: { type: 'string', arg: 'N', description: 'priority in the group (1 is first); default after the last' },
      disabled: { type: 'boolean', description: 'add it disabled' },
      hub: { type: 'string', arg: 'HUB', description: 'run it on this hub only (hubs sharing a database)' },
      notes: { type: 'string', arg: 'TEXT', description: 'free text' },
    },
  },
  {
    name: 'gateway set', summary: "change a gateway instance (running hubs restart only it)", uses: 'db', positionals: 'ID',
    flags: {
      ...DB,
      plugin: { type: 'string', arg: 'PACKAGE', description: 'gateway plugin package' },
      config: { type: 'string', arg: 'JSON', description: "the plugin's configuration, replaced as a whole" },
      account: { type: 'string', arg: 'ID|none', description: 'broker account, or none' },
      hub: { type: 'string', arg: 'HUB|none', description: 'pin to one hub, or none' },
      notes: { type: 'string', arg: 'TEXT', description: 'free text' },
    },
  },
  { name: 'gateway enable', summary: 'enable a gateway instance (every hub sharing the database starts it)', uses: 'db', positionals: 'ID', flags: { ...DB } },
  { name: 'gateway disable', summary: 'disable a gateway instance (every hub stops it)', uses: 'db', positionals: 'ID', flags: { ...DB } },
  { name: 'gateway remove', summary: 'remove a gateway instance', uses: 'db', positionals: 'ID', flags: { ...DB } },
  { name: 'gateway start', summary: 'start an instance stopped by an admin, on the running hub of the data folder', uses: 'hub', positionals: 'ID', flags: { ...HUB, ...JSON_OUT } },
  { name: 'gateway stop', summary: 'stop an instance on the running hub until it is started again or the hub restarts', uses: 'hub', positionals: 'ID', flags: { ...HUB, ...JSON_OUT } },
  { name: 'gateway restart', summary: 'hard-restart an instance (SIGKILL and start again) on the running hub', uses: 'hub', positionals: 'ID', flags: { ...HUB, ...JSON_OUT } },
  { name: 'gateway control', summary: "send a plugin command to a running instance: the simulator's faults (disconnect ms=3000, stall ms=5000, hang, crash), or one JSON object", uses: 'hub', positionals: 'ID OP [KEY=VALUE...]', flags: { ...HUB } },

  { name: 'account list', summary: 'list broker accounts (secrets are never shown)', uses: 'db', flags: { ...DB, ...JSON_OUT } },
  { name: 'account enable', summary: 'enable a broker account (its gateways run again)', uses: 'db', positionals: 'ID', flags: { ...DB } },
  { name: 'account disable', summary: 'disable a broker account (its gateways stop on every hub)', uses: 'db', positionals: 'ID', flags: { ...DB } },
  {
    name: 'account add', summary: 'add a broker account (CTP or SOPT)', uses: 'db',
    flags: {
      ...DB,
      name: { type: 'string', arg: 'ID', description: 'account id' },
      kind: { type: 'string', arg: 'ctp|sopt', description: 'account kind' },
      'broker-id': { type: 'string', arg: 'B', description: 'broker id (BrokerID)' },
      'user-id': { type: 'string', arg: 'U', description: 'user id (UserID)' },
      fronts: { type: 'string', arg: 'F,F', description: 'market-data fronts, tried in order: tcp://host:port,tcp://host:port' },
      'app-id': { type: 'string', arg: 'A', description: 'app id (AppID)' },
      'password-stdin': PASSWORD_STDIN,
      'auth-code-stdin': { type: 'boolean', description: 'read the auth code from standard input (the line after the password when both are read)' },
      notes: { type: 'string', arg: 'TEXT', description: 'free text' },
    },
  },
  {
    name: 'account set', summary: 'change a broker account', uses: 'db', positionals: 'ID',
    flags: {
      ...DB,
      kind: { type: 'string', arg: 'ctp|sopt', description: 'account kind' },
      'broker-id': { type: 'string', arg: 'B', description: 'broker id' },
      'user-id': { type: 'string', arg: 'U', description: 'user id' },
      fronts: { type: 'string', arg: 'F,F', description: 'market-data fronts' },
      'app-id': { type: 'string', arg: 'A', description: 'app id' },
      'password-stdin': PASSWORD_STDIN,
      'auth-code-stdin': { type: 'boolean', description: 'read a new auth code from standard input' },
      'clear-password': { type: 'boolean', description: 'remove the stored password' },
      'clear-auth-code': { type: 'boolean', description: 'remove the stored auth code' },
      notes: { type: 'string', arg: 'TEXT', description: 'free text' },
    },
  },
  { name: 'account remove', summary: 'remove a broker account (refused while a gateway uses it)', uses: 'db', positionals: 'ID', flags: { ...DB } },

  { name: 'group list', summary: 'list instrument groups', uses: 'db', flags: { ...DB, ...JSON_OUT } },
  {
    name: 'group add', summary: 'add an instrument group', uses: 'db',
    flags: {
      ...DB,
      name: { type: 'string', arg: 'G', description: 'group name' },
      policy: { type: 'string', arg: 'race|priority', description: 'race (every source competes, default) or priority (the best healthy source feeds)' },
      instruments: { type: 'string', arg: 'P,P', description: 'instrument patterns: all, *.SHFE, rb*.SHFE, rb2701.SHFE' },
      canaries: { type: 'string', arg: 'P,P', description: 'canary products, PRODUCT.EXCHANGE: rb.SHFE,SR.CZCE' },
      cleansing: { type: 'string', arg: 'JSON', description: 'cleansing for the group: {"thresholds":{...},"disable":[...],"enable":[...]}' },
      ord: { type: 'string', arg: 'N', description: 'order in which groups claim instruments (first match wins)' },
    },
  },
  {
    name: 'group set', summary: 'change an instrument group (applied live)', uses: 'db', positionals: 'G',
    flags: {
      ...DB,
      policy: { type: 'string', arg: 'race|priority', description: 'policy' },
      instruments: { type: 'string', arg: 'P,P', description: 'instrument patterns' },
      canaries: { type: 'string', arg: 'P,P', description: 'canary products' },
      cleansing: { type: 'string', arg: 'JSON', description: 'cleansing for the group' },
      ord: { type: 'string', arg: 'N', description: 'claim order' },
    },
  },
  { name: 'group remove', summary: 'remove an instrument group', uses: 'db', positionals: 'G', flags: { ...DB } },
  { name: 'group source', summary: 'put a gateway into a group at a priority (or move it)', uses: 'db', positionals: 'G GATEWAY', flags: { ...DB, priority: { type: 'string', arg: 'N', description: 'priority (1 is first); default after the last' } } },
  { name: 'group unsource', summary: "take a gateway out of a group's sources", uses: 'db', positionals: 'G GATEWAY', flags: { ...DB } },

  { name: 'plugin list', summary: 'list registered plugins', uses: 'db', flags: { ...DB, ...JSON_OUT } },
  { name: 'plugin add', summary: 'register a plugin package (its manifest is checked)', uses: 'db', positionals: 'PACKAGE', flags: { ...DB, config: { type: 'string', arg: 'JSON', description: "the plugin's configuration (a filter's settings)" }, disabled: { type: 'boolean', description: 'register it disabled' } } },
  { name: 'plugin set', summary: "change a plugin's configuration", uses: 'db', positionals: 'PACKAGE', flags: { ...DB, config: { type: 'string', arg: 'JSON', description: "the plugin's configuration" } } },
  { name: 'plugin enable', summary: 'enable a plugin', uses: 'db', positionals: 'PACKAGE', flags: { ...DB } },
  { name: 'plugin disable', summary: 'disable a plugin (its gateways stop, a filter leaves the pipeline)', uses: 'db', positionals: 'PACKAGE', flags: { ...DB } },
  { name: 'plugin remove', summary: 'unregister a plugin (refused while a gateway uses it)', uses: 'db', positionals: 'PACKAGE', flags: { ...DB } },

  { name: 'settings list', summary: 'list settings (every hub) and per-hub overrides', uses: 'db', flags: { ...DB, ...JSON_OUT } },
  { name: 'settings set', summary: 'set a setting (cleansing, health, alerts): for every hub, or one with --hub', uses: 'db', positionals: 'KEY JSON', flags: { ...DB, hub: { type: 'string', arg: 'HUB', description: 'only for this hub' } } },
  { name: 'settings unset', summary: 'remove a setting or a per-hub override', uses: 'db', positionals: 'KEY', flags: { ...DB, hub: { type: 'string', arg: 'HUB', description: 'the per-hub override' } } },

  { name: 'db migrate', summary: 'create or upgrade the schema (and the must-change admin user when there is none)', uses: 'db', flags: { ...DB } },
  { name: 'db status', summary: "show the schema version and the configuration revision", uses: 'db', flags: { ...DB, ...JSON_OUT } },
  { name: 'db seed-demo', summary: 'add the demo: three simulated sources in group default', uses: 'db', flags: { ...DB } },

  { name: 'config export', summary: 'write the configuration as JSON (secrets only with --with-secrets)', uses: 'db', flags: { ...DB, 'with-secrets': { type: 'boolean', description: 'include decrypted passwords, auth codes and user password hashes' }, out: { type: 'string', arg: 'FILE', description: 'write to FILE (mode 0600) instead of standard output' } } },
  { name: 'config import', summary: 'read a configuration written by config export (into any backend)', uses: 'db', positionals: 'FILE', flags: { ...DB, replace: { type: 'boolean', description: 'remove accounts, gateways, groups and plugins the file does not name' } } },

  { name: 'secrets status', summary: 'which key encrypts, which the database expects, whether every secret decrypts', uses: 'db', flags: { ...DB, ...JSON_OUT } },
  { name: 'secrets rotate', summary: 're-encrypt every secret with a new key (key file: made for you; MDHUB_SECRET_KEY: "new,old")', uses: 'db', flags: { ...DB } },
  { name: 'secrets new-key', summary: 'print a new random key (base64) for MDHUB_SECRET_KEY', flags: {} },

  {
    name: 'audit', summary: 'show the audit log of admin actions (newest first)', uses: 'db',
    flags: {
      ...DB,
      ...JSON_OUT,
      since: { type: 'string', arg: 'ISO', description: 'entries at or after this time, e.g. 2026-12-04T09:00:00+08:00' },
      action: { type: 'string', arg: 'ACTION', description: 'only this action, e.g. gateway.stop' },
      limit: { type: 'string', arg: 'N', description: 'at most N entries (default 100)' },
    },
  },
  {
    name: 'schedule crontab', summary: 'print the crontab that starts the hub before each session and stops it after (times in the host zone)',
    flags: {
      'data-dir': { type: 'string', arg: 'DIR', description: 'the data folder the scheduled hub uses (made absolute); default .mdhub' },
      config: { type: 'string', arg: 'FILE', description: 'process settings file the scheduled hub starts with (made absolute)' },
      lead: LEAD,
      lag: { type: 'string', arg: 'MIN', description: 'minutes after a session closes that the hub stops, default 10' },
      tz: { type: 'string', arg: 'ZONE', description: "the zone cron runs in (IANA, e.g. UTC, Asia/Shanghai); default the host's (TZ)" },
      docker: { type: 'boolean', description: 'docker compose up -d / down lines instead of mdhub start / stop' },
      'compose-dir': { type: 'string', arg: 'DIR', description: 'with --docker: the folder of compose.yaml, default the current one' },
      at: { type: 'string', arg: 'TIME', description: 'the date whose zone offset is used (a zone with daylight saving), default now' },
    },
  },
  { name: 'schedule check', summary: 'say what a scheduled start would do at a moment, and why: the session open or next, whether it is a trading day', uses: 'db', flags: { ...DB, ...JSON_OUT, at: AT, lead: LEAD } },
  { name: 'calendar import', summary: 'store a newer trading calendar (markets.json, or {"year":2027,"holidays":[...]}); it takes precedence over the shipped one', uses: 'db', positionals: 'FILE', flags: { ...DB } },
  { name: 'calendar show', summary: 'list the calendar in force: holidays, evenings without a night session, where each year comes from', uses: 'db', positionals: '[YEAR]', flags: { ...DB, ...JSON_OUT } },
  { name: 'calendar remove', summary: 'remove an imported year (the shipped calendar applies to it again)', uses: 'db', positionals: 'YEAR', flags: { ...DB } },
  { name: 'user list', summary: 'list dashboard users', uses: 'db', flags: { ...DB, ...JSON_OUT } },
  { name: 'user add', summary: 'add a dashboard user', uses: 'db', positionals: 'NAME', flags: { ...DB, 'password-stdin': PASSWORD_STDIN, 'must-change': { type: 'boolean', description: 'the user must change the password at first login' } } },
  { name: 'user reset-password', summary: "set a dashboard user's password", uses: 'db', positionals: 'NAME', flags: { ...DB, 'password-stdin': PASSWORD_STDIN, 'must-change': { type: 'boolean', description: 'must change it at next login' } } },
  { name: 'user remove', summary: 'remove a dashboard user', uses: 'db', positionals: 'NAME', flags: { ...DB } },
];

/** Every flag any command accepts (the README's options table lists them all). */
export function allFlags(): string[] {
  const s = new Set<string>(['help']);
  for (const c of COMMANDS) for (const f of Object.keys(c.flags)) s.add(f);
  return [...s].sort();
}

/** Usage of one command. */
export function usageOf(c: CommandSpec): string {
  const flags = Object.entries(c.flags).map(([k, f]) => `  --${k}${f.arg ? ` ${f.arg}` : ''}`.padEnd(34) + f.description);
  return [`usage: mdhub ${c.name}${c.positionals ? ` ${c.positionals}` : ''}${Object.keys(c.flags).length ? ' [options]' : ''}`, '', c.summary, ...(flags.length ? ['', 'options:', ...flags] : [])].join('\n');
}

/** The overview `mdhub --help` prints. */
export function overview(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length)) + 2;
  return [
    'usage: mdhub <command> [options]        (mdhub <command> --help for its options)',
    '',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    '',
    'Database commands take --db URL (or MDHUB_DB_URL); without it they use the embedded SQLite of --data-dir (default .mdhub).',
    'Secrets: MDHUB_SECRET_KEY, or the key file in the data folder.',
  ].join('\n');
}
