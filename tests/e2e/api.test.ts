/**
 * The control API of a running hub (issue 19, first step), as a browser or a script uses it: everything
 * but the login needs a session; the default admin must change the password before anything else
 * works; logins are rate-limited; bodies are validated with named errors; a state-changing request from
 * a foreign origin is refused; secrets never come back; admin actions land in the audit log with who.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { mdhub, startHubProcess, useHubAndClient, waitFor } from './helpers.js';

const fx = useHubAndClient();

interface Reply { status: number; body: Record<string, unknown>; headers: Headers }

function client(base: string) {
  let cookie = '';
  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply> => {
    const r = await fetch(`${base}${path}`, {
      method, headers: { ...(cookie ? { cookie } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    });
    const set = r.headers.get('set-cookie');
    if (set) cookie = set.split(';')[0]!;
    return { status: r.status, body: await r.json() as Record<string, unknown>, headers: r.headers };
  };
  return { call, cookie: () => cookie, setCookie: (c: string) => { cookie = c; } };
}

const code = (r: Reply): unknown => (r.body['error'] as { code?: string } | undefined)?.code;

describe('control API', () => {
  it('needs a login; the default admin must change the password first; then gateways, restart and the audit log', async () => {
    const hub = fx.hub = await startHubProcess();
    const base = `http://${hub.ready.http}`;
    const c = client(base);

    // anonymous: refused everywhere but the login, with a JSON error
    for (const [m, p] of [['GET', '/api/gateways'], ['GET', '/api/health'], ['GET', '/api/audit'], ['POST', '/api/gateways/sim-a/restart'], ['GET', '/api/session']] as const) {
      const r = await c.call(m, p);
      expect([r.status, code(r)], `${m} ${p}`).toEqual([401, 'MDH_ERR_API_UNAUTHORIZED']);
    }
    expect((await fetch(`${base}/healthz`)).status).toBe(200); // /healthz and /metrics stay open

    // bad input is a named error
    let r = await c.call('POST', '/api/login', { username: 5 });
    expect([r.status, code(r)]).toEqual([400, 'MDH_ERR_API_BAD_REQUEST']);
    expect((r.body['error'] as { details: { fields: string[] } }).details.fields).toEqual(expect.arrayContaining(['username', 'password']));
    r = await c.call('POST', '/api/login', '{not json');
    expect([r.status, code(r)]).toEqual([400, 'MDH_ERR_API_BAD_REQUEST']);

    // the default admin logs in, and can do nothing but change its password
    r = await c.call('POST', '/api/login', { username: 'admin', password: '123456' });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ user: 'admin', must_change: true });
    expect(c.cookie()).toMatch(/^mdhub_session=/);
    const setCookie = (await fetch(`${base}/api/login`, { method: 'POST', body: JSON.stringify({ username: 'admin', password: '123456' }) })).headers.get('set-cookie')!;
    expect(setCookie).toMatch(/httponly/i);
    expect(setCookie).toMatch(/samesite=strict/i);
    r = await c.call('GET', '/api/gateways');
    expect([r.status, code(r)]).toEqual([403, 'MDH_ERR_API_PASSWORD_CHANGE_REQUIRED']);
    r = await c.call('POST', '/api/password', { current: '123456', new: '123456' });
    expect([r.status, code(r)]).toEqual([400, 'MDH_ERR_USER_BAD_PASSWORD']);
    r = await c.call('POST', '/api/password', { current: 'wrong', new: 'a-good-password' });
    expect([r.status, code(r)]).toEqual([401, 'MDH_ERR_API_BAD_LOGIN']);
    r = await c.call('POST', '/api/password', { current: '123456', new: 'a-good-password' });
    expect(r.status).toBe(200);
    r = await c.call('GET', '/api/session');
    expect(r.body).toMatchObject({ user: 'admin', must_change: false });

    // gateways with their live state and health; no secret ever comes back
    await mdhub(['account', 'add', '--data-dir', hub.dataDir, '--name', 'broker-a', '--kind', 'ctp', '--broker-id', '9999', '--user-id', 'u1', '--fronts', 'tcp://127.0.0.1:1', '--password-stdin'], { input: 'TOP-SECRET-PW\n' });
    r = await c.call('GET', '/api/gateways');
    expect(r.status).toBe(200);
    const gws = r.body['gateways'] as Array<{ id: string; runtime: { health: string; state: string } | null }>;
    expect(gws.map((g) => g.id)).toEqual(['sim-a', 'sim-b', 'sim-c']);
    await waitFor('sim-a ok', async () => ((await c.call('GET', '/api/gateways')).body['gateways'] as typeof gws)[0]!.runtime?.health === 'ok', 20_000);
    expect(JSON.stringify(r.body)).not.toMatch(/TOP-SECRET|password|_enc/);

    // a state-changing request from a foreign origin is refused; from the hub's own, it goes through
    r = await c.call('POST', '/api/gateways/sim-b/restart', undefined, { origin: 'http://evil.example' });
    expect([r.status, code(r)]).toEqual([403, 'MDH_ERR_API_FORBIDDEN_ORIGIN']);
    r = await c.call('POST', '/api/gateways/sim-b/restart', undefined, { origin: base });
    expect(r.status).toBe(200);
    expect(r.body['gateway']).toMatchObject({ id: 'sim-b', restarts: 1 });
    r = await c.call('POST', '/api/gateways/nope/restart');
    expect([r.status, code(r)]).toEqual([404, 'MDH_ERR_GATEWAY_UNKNOWN']);
    r = await c.call('GET', '/api/nothing-here');
    expect([r.status, code(r)]).toEqual([404, 'MDH_ERR_API_NOT_FOUND']);

    // the audit log says who did what
    r = await c.call('GET', '/api/audit?limit=50');
    const audit = r.body['audit'] as Array<{ actor: string; action: string; target: string }>;
    expect(audit).toEqual(expect.arrayContaining([
      expect.objectContaining({ actor: 'admin', action: 'gateway.restart', target: 'sim-b' }),
      expect.objectContaining({ actor: 'admin', action: 'user.reset-password', target: 'admin' }),
      expect.objectContaining({ actor: 'admin', action: 'login' }),
    ]));
    r = await c.call('GET', '/api/audit?limit=0');
    expect([r.status, code(r)]).toEqual([400, 'MDH_ERR_API_BAD_REQUEST']);

    // a bearer token works like the cookie; logout ends the session
    const login = await client(base).call('POST', '/api/login', { username: 'admin', password: 'a-good-password' });
    const token = login.body['token'] as string;
    expect((await client(base).call('GET', '/api/health', undefined, { authorization: `Bearer ${token}` })).body).toMatchObject({ status: expect.any(String) });
    r = await c.call('POST', '/api/logout');
    expect(r.status).toBe(200);
    r = await c.call('GET', '/api/session');
    expect([r.status, code(r)]).toEqual([401, 'MDH_ERR_API_UNAUTHORIZED']);
  });

  it('rate-limits failed logins per address and user: the right password waits too', async () => {
    const hub = fx.hub = await startHubProcess();
    const c = client(`http://${hub.ready.http}`);
    for (let i = 0; i < 5; i++) expect(code(await c.call('POST', '/api/login', { username: 'admin', password: `guess-${i}` }))).toBe('MDH_ERR_API_BAD_LOGIN');
    const r = await c.call('POST', '/api/login', { username: 'admin', password: '123456' });
    expect([r.status, code(r)]).toEqual([429, 'MDH_ERR_API_RATE_LIMITED']);
    expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});

describe('control API: configuration, logs, counters, OpenAPI', () => {
  it('accounts (secrets write-only), gateways and groups change through the API and reach the running hub; logs and counters read back', async () => {
    const hub = fx.hub = await startHubProcess();
    const base = `http://${hub.ready.http}`;
    const c = client(base);
    await c.call('POST', '/api/login', { username: 'admin', password: '123456' });
    expect((await c.call('POST', '/api/password', { current: '123456', new: 'a-good-password' })).status).toBe(200);

    // an account: the password goes in, never comes out
    let r = await c.call('POST', '/api/accounts', { id: 'broker-a', kind: 'ctp', broker_id: '9999', user_id: 'u1', fronts: ['tcp://127.0.0.1:1'], password: 'TOP-SECRET-PW' });
    expect(r.status).toBe(200);
    expect(r.body['account']).toMatchObject({ id: 'broker-a', has_password: true });
    r = await c.call('GET', '/api/accounts');
    expect(JSON.stringify(r.body)).not.toContain('TOP-SECRET');
    expect(JSON.stringify(r.body)).not.toMatch(/_enc/);
    r = await c.call('POST', '/api/accounts', { id: 'bad', kind: 'nope' });
    expect([r.status, code(r)]).toEqual([400, 'MDH_ERR_API_BAD_REQUEST']);
    r = await c.call('PATCH', '/api/accounts/broker-a', { password: 'NEW-SECRET' });
    expect(r.status).toBe(200);
    expect(JSON.stringify(r.body)).not.toContain('NEW-SECRET');

    // an account can be disabled and enabled again (audited as such)
    r = await c.call('POST', '/api/accounts/broker-a/disable');
    expect([r.status, (r.body['account'] as { enabled: boolean }).enabled]).toEqual([200, false]);
    r = await c.call('POST', '/api/accounts/broker-a/enable');
    expect([r.status, (r.body['account'] as { enabled: boolean }).enabled]).toEqual([200, true]);
    r = await c.call('POST', '/api/accounts/no-such/disable');
    expect(r.status).toBe(404);
    r = await c.call('GET', '/api/audit?action=account.disable');
    expect(r.body['audit']).toEqual([expect.objectContaining({ actor: 'admin', target: 'broker-a' })]);

    // the overview: up-time, published rate, the hub's own latency, simulated said plainly
    r = await c.call('GET', '/api/overview');
    expect(r.body).toMatchObject({ simulated: true, status: expect.any(String), version: expect.any(String), uptime_s: expect.any(Number), alerts: expect.any(Array) });
    expect(r.body['published_per_s']).toBeNull(); // the first read has no interval yet: unknown, not 0
    expect((r.body['sources'] as Array<{ id: string }>).map((x) => x.id)).toEqual(['sim-a', 'sim-b', 'sim-c']);
    const lat = await waitFor('a latency figure', async () => {
      const o = (await c.call('GET', '/api/overview')).body as { latency: { count: number; p50_us: number | null; p99_us: number | null }; published_per_s: number };
      return o.latency.count > 0 && o.published_per_s > 0 ? o.latency : null;
    }, 20_000, 500);
    expect(lat.p50_us).toBeGreaterThan(0);
    expect(lat.p99_us!).toBeGreaterThanOrEqual(lat.p50_us!);
    expect((await fetch(`${base}/api/overview`)).status).toBe(401);

    // a gateway added through the API is started by the running hub; removed, it stops
    r = await c.call('POST', '/api/gateways', { id: 'sim-d', plugin: '@mdhub/gateway-sim', config: { market: { seed: 20260101 } } });
    expect(r.status).toBe(200);
    await waitFor('sim-d running', async () => ((await c.call('GET', '/api/gateways')).body['gateways'] as Array<{ id: string; runtime: { health: string } | null }>).find((g) => g.id === 'sim-d')?.runtime?.health === 'ok', 20_000);
    r = await c.call('POST', '/api/gateways', { id: 'sim-d', plugin: '@mdhub/gateway-sim' });
    expect([r.status, code(r)]).toEqual([409, 'MDH_ERR_CONFIG_CONFLICT']);
    r = await c.call('DELETE', '/api/gateways/sim-d');
    expect(r.status).toBe(200);
    await waitFor('sim-d gone', async () => !((await c.call('GET', '/api/gateways')).body['gateways'] as Array<{ id: string; runtime: unknown }>).some((g) => g.id === 'sim-d' && g.runtime !== null), 20_000);

    // canaries of a group
    r = await c.call('PATCH', '/api/groups/default', { canaries: ['rb.SHFE', 'm.DCE'] });
    expect(r.status).toBe(200);
    expect((await c.call('GET', '/api/groups')).body['groups']).toEqual([expect.objectContaining({ name: 'default', canaries: ['rb.SHFE', 'm.DCE'] })]);
    r = await c.call('PATCH', '/api/groups/default', { canaries: ['not a product'] });
    expect([r.status, code(r)]).toEqual([400, 'MDH_ERR_API_BAD_REQUEST']);

    // the recent log: filtered by level and text
    r = await c.call('GET', '/api/logs?level=info&text=sim-d&limit=50');
    const logs = r.body['logs'] as Array<{ level: string; msg: string }>;
    expect(logs.length).toBeGreaterThan(0);
    expect(logs.every((l) => l.level !== 'debug')).toBe(true);
    r = await c.call('GET', '/api/logs?level=loud');
    expect([r.status, code(r)]).toEqual([400, 'MDH_ERR_API_BAD_REQUEST']);

    // instruments by symbol: last state, data state, the source that won it
    r = await c.call('GET', '/api/instruments?search=rb27&limit=5');
    const inst = r.body['instruments'] as Array<{ vt_symbol: string; state: string; source: string | null; last_price?: number }>;
    expect(inst.length).toBeGreaterThan(0);
    expect(inst.every((i) => i.vt_symbol.toLowerCase().includes('rb27'))).toBe(true);
    expect(inst.some((i) => i.state === 'ok' && ['sim-a', 'sim-b', 'sim-c'].includes(String(i.source)) && (i.last_price ?? 0) > 0)).toBe(true);
    r = await c.call('GET', '/api/instruments?limit=99999');
    expect([r.status, code(r)]).toEqual([400, 'MDH_ERR_API_BAD_REQUEST']);
    r = await c.call('GET', '/api/settings');
    expect(r.body).toMatchObject({ settings: expect.any(Array), overrides: expect.any(Array) });
    // filter settings: validated by their schema, audited, removable
    r = await c.call('POST', '/api/settings/cleansing', { value: { no_such_filter: true } });
    expect([r.status, code(r)]).toEqual([400, 'MDH_ERR_CONFIG_INVALID']);
    r = await c.call('POST', '/api/settings/health', { value: { canaryLagMs: 400 } });
    expect(r.status).toBe(200);
    expect(((await c.call('GET', '/api/settings')).body['settings'] as Array<{ key: string; value: unknown }>)).toEqual(expect.arrayContaining([expect.objectContaining({ key: 'health', value: { canaryLagMs: 400 } })]));
    r = await c.call('POST', '/api/settings/nonsense', { value: 1 });
    expect([r.status, code(r)]).toEqual([400, 'MDH_ERR_CONFIG_INVALID']);
    expect((await c.call('DELETE', '/api/settings/health')).status).toBe(200);
    expect(((await c.call('GET', '/api/settings')).body['settings'] as Array<{ key: string }>).some((x) => x.key === 'health')).toBe(false);

    // counters with source quality and canaries
    r = await c.call('GET', '/api/counters');
    expect(r.body).toMatchObject({ quality: { 'sim-a': expect.objectContaining({ win_share: expect.any(Number) }) }, canaries: expect.any(Array) });

    // the OpenAPI document is built from the same schemas
    r = await c.call('GET', '/api/openapi.json');
    const paths = r.body['paths'] as Record<string, Record<string, { requestBody?: { content: { 'application/json': { schema: { properties: Record<string, unknown> } } } } }>>;
    expect(Object.keys(paths)).toEqual(expect.arrayContaining(['/api/login', '/api/accounts', '/api/accounts/{id}', '/api/gateways/{id}/restart', '/api/logs', '/api/audit']));
    expect(Object.keys(paths['/api/accounts']!['post']!.requestBody!.content['application/json'].schema.properties)).toEqual(expect.arrayContaining(['id', 'kind', 'broker_id', 'password']));
    expect((await fetch(`${base}/api/openapi.json`)).status).toBe(401);

    // every documented route but the login refuses an anonymous caller
    const routes = Object.entries(paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => [m.toUpperCase(), p.replace(/^\/api/, '').replace(/\{[^}]+\}/g, 'x')] as const));
    expect(routes.length).toBeGreaterThan(30);
    for (const [m, p] of routes) {
      if (p === '/login') continue;
      const anon = await fetch(`${base}/api${p}`, { method: m, ...(m === 'GET' || m === 'DELETE' ? {} : { body: '{}' }) });
      expect([`${m} ${p}`, anon.status]).toEqual([`${m} ${p}`, 401]);
    }
  });
});

describe('control API: allowed origins', () => {
  it('--allowed-origins lets a named origin (a reverse proxy) change state and open the WebSocket; others stay refused', async () => {
    const { WebSocket } = await import('ws');
    const hub = fx.hub = await startHubProcess(['--allowed-origins', 'https://hub.example:8443']);
    const base = `http://${hub.ready.http}`;
    const c = client(base);
    await c.call('POST', '/api/login', { username: 'admin', password: '123456' });
    let r = await c.call('POST', '/api/password', { current: '123456', new: 'a-good-password' }, { origin: 'https://evil.example' });
    expect([r.status, code(r)]).toEqual([403, 'MDH_ERR_API_FORBIDDEN_ORIGIN']);
    r = await c.call('POST', '/api/password', { current: '123456', new: 'a-good-password' }, { origin: 'https://hub.example:8443' });
    expect(r.status).toBe(200);
    const opened = (origin: string): Promise<number> => new Promise((resolve) => {
      const ws = new WebSocket(`ws://${hub.ready.http}/api/ws`, { headers: { cookie: c.cookie(), origin } });
      ws.on('open', () => { ws.close(); resolve(101); });
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('error', () => resolve(-1));
    });
    expect(await opened('https://hub.example:8443')).toBe(101);
    expect(await opened('https://evil.example')).toBe(403);
  });
});

describe('control API: TLS and exposure', () => {
  it('beyond loopback the hub needs TLS or --insecure-http; with a certificate it serves https and wss with a Secure cookie', async () => {
    // plain HTTP on every interface: refused at start, saying what to add
    await expect(mdhub(['start', '--data-dir', fs.mkdtempSync(path.join(os.tmpdir(), 'mdhub-e2e-')), '--http', '0.0.0.0:0', '--pub', 'tcp://127.0.0.1:*', '--snapshot', 'tcp://127.0.0.1:*']))
      .rejects.toThrow(/MDH_ERR_CONFIG_INVALID[\s\S]*--tls-cert FILE --tls-key FILE, or --insecure-http/);
    // a self-signed certificate for 127.0.0.1
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mdhub-tls-'));
    const cert = path.join(dir, 'cert.pem');
    const key = path.join(dir, 'key.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert], { stdio: 'ignore' });
    const ca = fs.readFileSync(cert);
    const hub = fx.hub = await startHubProcess(['--tls-cert', cert, '--tls-key', key]);
    const call = (method: string, p: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; headers: import('node:http').IncomingHttpHeaders; body: string }> => new Promise((resolve, reject) => {
      const req = https.request(`https://${hub.ready.http}${p}`, { method, ca, headers }, (res) => {
        let text = '';
        res.on('data', (d: Buffer) => { text += d.toString(); });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      });
      req.on('error', reject);
      req.end(body === undefined ? undefined : JSON.stringify(body));
    });
    expect((await call('GET', '/healthz')).status).toBe(200);
    const login = await call('POST', '/api/login', { username: 'admin', password: '123456' });
    expect(login.status).toBe(200);
    const setCookie = String(login.headers['set-cookie']);
    expect(setCookie).toMatch(/;\s*secure/i);
    const cookie = setCookie.split(';')[0]!;
    expect((await call('POST', '/api/password', { current: '123456', new: 'a-good-password' }, { cookie })).status).toBe(200);
    expect((await call('GET', '/', undefined, {})).body).toContain('<html');
    // plain HTTP on the TLS port is not served
    await expect(fetch(`http://${hub.ready.http}/healthz`, { signal: AbortSignal.timeout(3000) })).rejects.toThrow();
    const { WebSocket } = await import('ws');
    const ws = new WebSocket(`wss://${hub.ready.http}/api/ws`, { ca, headers: { cookie, origin: `https://${hub.ready.http}` } });
    const first = await new Promise<string>((resolve, reject) => {
      ws.on('open', () => ws.send(JSON.stringify({ op: 'subscribe', topics: ['sources'] })));
      ws.on('message', (d) => resolve(String(d)));
      ws.on('error', reject);
    });
    ws.close();
    expect(JSON.parse(first)).toMatchObject({ topic: 'subscribed' });
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe('control API: the live WebSocket', () => {
  it('needs a session; pushes status events, filtered logs and per-source figures; a hard restart is seen going through restarting back to ok', async () => {
    const { WebSocket } = await import('ws');
    const hub = fx.hub = await startHubProcess();
    const base = `http://${hub.ready.http}`;
    const wsUrl = `ws://${hub.ready.http}/api/ws`;
    const opened = (ws: InstanceType<typeof WebSocket>): Promise<number> => new Promise((resolve) => {
      ws.on('open', () => resolve(101));
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('error', () => resolve(-1));
    });
    // anonymous, or a session that must change its password, or a foreign origin: refused
    expect(await opened(new WebSocket(wsUrl))).toBe(401);
    const c = client(base);
    await c.call('POST', '/api/login', { username: 'admin', password: '123456' });
    expect(await opened(new WebSocket(wsUrl, { headers: { cookie: c.cookie() } }))).toBe(403);
    await c.call('POST', '/api/password', { current: '123456', new: 'a-good-password' });
    expect(await opened(new WebSocket(wsUrl, { headers: { cookie: c.cookie(), origin: 'http://evil.example' } }))).toBe(403);

    const ws = new WebSocket(wsUrl, { headers: { cookie: c.cookie() } });
    const got: Array<Record<string, unknown>> = [];
    ws.on('message', (d) => got.push(JSON.parse(String(d)) as Record<string, unknown>));
    try {
      expect(await opened(ws)).toBe(101);
      ws.send('nonsense');
      await waitFor('a named error for a bad message', () => got.find((m) => m['topic'] === 'error'), 5000);
      ws.send(JSON.stringify({ op: 'subscribe', topics: ['status', 'logs', 'sources', 'hub'], log_level: 'warn' }));
      await waitFor('subscribed', () => got.find((m) => m['topic'] === 'subscribed'), 5000);
      const sources = await waitFor('sources with figures', () => got.filter((m) => m['topic'] === 'sources').map((m) => m['data'] as Array<{ id: string; health: string; ticks_per_s: number }>).find((d) => d.every((x) => x.health === 'ok') && d.some((x) => x.ticks_per_s > 0)), 20_000);
      expect(sources.map((x) => x.id)).toEqual(['sim-a', 'sim-b', 'sim-c']);
      const overview = await waitFor('the hub topic', () => got.filter((m) => m['topic'] === 'hub').map((m) => m['data'] as { hub_id: string; published_per_s: number }).find((d) => d.published_per_s > 0), 10_000);
      expect(overview.hub_id).toBe(hub.ready.hubId);
      expect(got.some((m) => m['topic'] === 'counters')).toBe(false); // not subscribed
      const from = got.length;
      expect((await c.call('POST', '/api/gateways/sim-b/restart')).status).toBe(200);
      const health = (): string[] => got.slice(from).filter((m) => m['topic'] === 'status' && (m['event'] as Record<string, unknown>)['kind'] === 'source_health' && (m['event'] as Record<string, unknown>)['source'] === 'sim-b').map((m) => (m['event'] as Record<string, string>)['health']!);
      await waitFor('sim-b restarting then ok', () => health().includes('restarting') && health().indexOf('ok', health().indexOf('restarting')) > 0, 20_000);
      // logs at warn and above only
      const logs = got.filter((m) => m['topic'] === 'logs').map((m) => (m['record'] as { level: string }).level);
      expect(logs.every((l) => l === 'warn' || l === 'error')).toBe(true);
    } finally {
      ws.close();
    }
  });
});
