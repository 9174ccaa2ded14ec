/**
 * The control API (Koa + @koa/router) on the hub's HTTP port, under `/api`: log in, log out, the session,
 * change the password; gateways with their live state and health, and start / stop / hard-restart one;
 * the hub's health; the audit log. Everything but `POST /api/login` needs a session (cookie or bearer
 * token); a user who must change the password can do nothing else until it is changed. Bodies and
 * queries are validated with zod; every error is JSON `{error: {code, message, details}}` with a code from
 * the error catalog. Every admin action is recorded in the audit log with who did it.
 *
 * It runs on the control plane: nothing here touches the data plane's thread.
 */
import type http from 'node:http';
import Koa from 'koa';
import Router from '@koa/router';
import { z } from 'zod';
import { MdhubError, errorInfo } from '../errors.js';
import { describeIssues } from '../plugin/manifest.js';
import type { ConfigService } from '../service/config-service.js';
import { ENTITY_SCHEMAS } from '../service/config-service.js';
import type { Hub } from '../hub/hub.js';
import { LoginLimiter, Sessions } from './sessions.js';
import type { Session } from './sessions.js';

export const SESSION_COOKIE = 'mdhub_session';

export interface ApiOptions {
  service: ConfigService;
  /** The running hub (resolved lazily: the API is built before the hub object exists). */
  hub: () => Hub;
  /** Origins allowed to make state-changing requests with the session cookie (besides the hub's own). */
  allowedOrigins?: readonly string[];
  /** Failed logins allowed per address or user name per minute (default 5). */
  loginAttempts?: number;
  /** Set `Secure` on the session cookie (the HTTP listener has TLS). */
  secureCookie?: boolean;
  /** The recent log records (the logger's ring). */
  /** The overview: up-time, published rate, hub latency, each source's state, recent alerts, whether simulated. */
  overview?: () => Promise<unknown>;
  logs?: (q: { level?: 'debug' | 'info' | 'warn' | 'error'; area?: string; text?: string; since?: number; limit?: number }) => unknown[];
}

const STATUS: Record<string, number> = {
  MDH_ERR_API_UNAUTHORIZED: 401, MDH_ERR_API_BAD_LOGIN: 401, MDH_ERR_API_PASSWORD_CHANGE_REQUIRED: 403, MDH_ERR_API_FORBIDDEN_ORIGIN: 403,
  MDH_ERR_API_RATE_LIMITED: 429, MDH_ERR_API_BAD_REQUEST: 400, MDH_ERR_USER_BAD_PASSWORD: 400, MDH_ERR_API_NOT_FOUND: 404,
  MDH_ERR_GATEWAY_UNKNOWN: 404, MDH_ERR_CONFIG_UNKNOWN_ID: 404, MDH_ERR_CONFIG_INVALID: 400, MDH_ERR_CONFIG_CONFLICT: 409,
};

type Ctx = Koa.ParameterizedContext<{ session?: Session }> & { params: Record<string, string> };

/** Reads a JSON body (at most 64 KB); an empty body is `{}`. */
async function jsonBody(req: http.IncomingMessage): Promise<unknown> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > 64 * 1024) throw new MdhubError('MDH_ERR_API_BAD_REQUEST', { reason: 'the body is larger than 64 KB' });
    chunks.push(c as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new MdhubError('MDH_ERR_API_BAD_REQUEST', { reason: `the body is not JSON: ${(err as Error).message}` });
  }
}

function parse<T>(schema: z.ZodType<T>, value: unknown, where: string): T {
  const r = schema.safeParse(value);
  if (!r.success) throw new MdhubError('MDH_ERR_API_BAD_REQUEST', { where, reason: describeIssues(r.error.issues), fields: r.error.issues.map((i) => i.path.join('.')) });
  return r.data;
}

const LoginBody = z.strictObject({ username: z.string().min(1).max(64), password: z.string().min(1).max(256) });
const PasswordBody = z.strictObject({ current: z.string().min(1).max(256), new: z.string().min(1).max(256) });
const AuditQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(10_000).optional(),
  since: z.coerce.number().int().min(0).optional(),
  action: z.string().max(80).optional(),
});

const LogQuery = z.strictObject({
  level: z.enum(['debug', 'info', 'warn', 'error']).optional(),
  area: z.string().max(120).optional(),
  text: z.string().max(200).optional(),
  since: z.coerce.number().int().min(0).optional(),
  limit: z.coerce.number().int().min(1).max(100_000).optional(),
});

const InstrumentQuery = z.strictObject({
  search: z.string().max(80).optional(),
  limit: z.coerce.number().int().min(1).max(10_000).optional(),
});

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** OpenAPI 3.1 from the routes and their zod schemas. */
function openApi(routes: ReadonlyArray<{ method: string; path: string; summary: string; body?: z.ZodType; query?: z.ZodType; open?: boolean }>): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  const err = { description: 'an error: {error: {code, message, details}} (docs/reference/errors.md)', content: { 'application/json': { schema: { type: 'object', properties: { error: { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' }, details: { type: 'object' } }, required: ['code', 'message'] } } } } } };
  for (const r of routes) {
    const p = `/api${r.path.replace(/:([A-Za-z]+)/g, '{$1}')}`;
    const params = [...r.path.matchAll(/:([A-Za-z]+)/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' } }));
    const query = r.query ? Object.entries((z.toJSONSchema(r.query, { io: 'input', unrepresentable: 'any' }) as { properties?: Record<string, unknown> }).properties ?? {}).map(([name, schema]) => ({ name, in: 'query', required: false, schema })) : [];
    (paths[p] ??= {})[r.method] = {
      summary: r.summary,
      ...(r.open ? { security: [] } : {}),
      ...(params.length + query.length > 0 ? { parameters: [...params, ...query] } : {}),
      ...(r.body ? { requestBody: { required: true, content: { 'application/json': { schema: z.toJSONSchema(r.body, { io: 'input', unrepresentable: 'any' }) } } } } : {}),
      responses: { 200: { description: 'OK (JSON)' }, 400: err, 401: err, 403: err, 404: err, 429: err },
    };
  }
  return {
    openapi: '3.1.0', info: { title: 'mdhub control API', version: '1' }, paths,
    components: { securitySchemes: { cookie: { type: 'apiKey', in: 'cookie', name: SESSION_COOKIE }, bearer: { type: 'http', scheme: 'bearer' } } },
    security: [{ cookie: [] }, { bearer: [] }],
  };
}

/** Builds the API; returns the Node request handler for `/api/*`. */
export function buildApi(o: ApiOptions): { handle: (req: http.IncomingMessage, res: http.ServerResponse) => void; sessions: Sessions } {
  const app = new Koa<{ session?: Session }>();
  app.proxy = false;
  const sessions = new Sessions();
  const limiter = new LoginLimiter(o.loginAttempts ?? 5);
  const router = new Router<{ session?: Session }>({ prefix: '/api' });

  // Errors: JSON with a catalog code; never a stack trace.
  app.use(async (ctx, next) => {
    ctx.set('cache-control', 'no-store');
    ctx.set('x-content-type-options', 'nosniff');
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) throw new MdhubError('MDH_ERR_API_NOT_FOUND', { method: ctx.method, path: ctx.path });
    } catch (err) {
      const info = errorInfo(err);
      const code = info.code ?? 'MDH_ERR_API_INTERNAL';
      ctx.status = STATUS[code] ?? (info.code ? 400 : 500);
      if (code === 'MDH_ERR_API_RATE_LIMITED') ctx.set('retry-after', String(Math.ceil(Number(info.details?.['retry_after_ms'] ?? 60_000) / 1000)));
      ctx.body = { error: { code, message: info.code ? info.message : 'internal error', ...(info.details ? { details: info.details } : {}) } };
    }
  });

  // CSRF: the cookie is SameSite=Strict; besides, a state-changing request that carries an Origin must come
  // from the hub itself or an allowed origin.
  app.use(async (ctx, next) => {
    const origin = ctx.get('origin');
    if (UNSAFE.has(ctx.method) && origin !== '' && origin !== `${ctx.protocol}://${ctx.host}` && !(o.allowedOrigins ?? []).includes(origin)) {
      throw new MdhubError('MDH_ERR_API_FORBIDDEN_ORIGIN', { origin });
    }
    await next();
  });

  const tokenOf = (ctx: Ctx): string | undefined => {
    const auth = ctx.get('authorization');
    if (auth.startsWith('Bearer ')) return auth.slice(7).trim();
    return ctx.cookies.get(SESSION_COOKIE) ?? undefined;
  };

  /** Needs a session; with `allowMustChange`, one that must still change its password is enough. */
  const auth = (allowMustChange = false) => async (ctx: Ctx, next: () => Promise<unknown>): Promise<void> => {
    const s = sessions.get(tokenOf(ctx));
    if (!s) throw new MdhubError('MDH_ERR_API_UNAUTHORIZED');
    if (s.mustChange && !allowMustChange) throw new MdhubError('MDH_ERR_API_PASSWORD_CHANGE_REQUIRED', { user: s.user });
    ctx.state.session = s;
    await next();
  };
  const actor = (ctx: Ctx): { name: string; hubId: string } => ({ name: ctx.state.session!.user, hubId: o.hub().settings.hubId });

  router.post('/login', async (ctx) => {
    const b = parse(LoginBody, await jsonBody(ctx.req), 'body');
    const keys = [`ip:${ctx.ip}`, `user:${b.username.toLowerCase()}`];
    const wait = limiter.retryAfter(keys);
    if (wait > 0) throw new MdhubError('MDH_ERR_API_RATE_LIMITED', { retry_after_ms: wait });
    const user = await o.service.verifyLogin(b.username, b.password);
    if (!user) {
      limiter.fail(keys);
      await o.service.recordAction({ name: b.username, hubId: o.hub().settings.hubId }, 'login.failed', b.username, { ip: ctx.ip }).catch(() => {});
      throw new MdhubError('MDH_ERR_API_BAD_LOGIN');
    }
    limiter.succeed(keys);
    const s = sessions.create(user.username, user.must_change);
    ctx.cookies.set(SESSION_COOKIE, s.token, { httpOnly: true, sameSite: 'strict', path: '/', secure: o.secureCookie === true, overwrite: true });
    await o.service.recordAction({ name: user.username, hubId: o.hub().settings.hubId }, 'login', user.username, { ip: ctx.ip }).catch(() => {});
    ctx.body = { user: user.username, must_change: user.must_change, token: s.token };
  });

  router.post('/logout', auth(true), async (ctx) => {
    sessions.destroy(ctx.state.session!.token);
    ctx.cookies.set(SESSION_COOKIE, '', { httpOnly: true, sameSite: 'strict', path: '/', maxAge: 0, overwrite: true });
    ctx.body = { ok: true };
  });

  router.get('/session', auth(true), (ctx) => {
    const s = ctx.state.session!;
    ctx.body = { user: s.user, must_change: s.mustChange, since: s.createdAt };
  });

  router.post('/password', auth(true), async (ctx) => {
    const b = parse(PasswordBody, await jsonBody(ctx.req), 'body');
    const s = ctx.state.session!;
    if (!(await o.service.verifyLogin(s.user, b.current))) throw new MdhubError('MDH_ERR_API_BAD_LOGIN', { reason: 'the current password is wrong' });
    await o.service.resetPassword(actor(ctx), s.user, b.new, false); // MDH_ERR_USER_BAD_PASSWORD names what is wrong with it
    s.mustChange = false;
    sessions.destroyUser(s.user, s.token);
    ctx.body = { ok: true };
  });

  /** The routes as documented in /api/openapi.json (built from the same zod schemas that validate them). */
  const documented: Array<{ method: string; path: string; summary: string; body?: z.ZodType; query?: z.ZodType; open?: boolean }> = [
    { method: 'post', path: '/login', summary: 'Log in: a session cookie and a bearer token', body: LoginBody, open: true },
    { method: 'post', path: '/logout', summary: 'End the session' },
    { method: 'get', path: '/session', summary: 'The session: user, whether the password must be changed' },
    { method: 'post', path: '/password', summary: 'Change the password (the default admin must, first)', body: PasswordBody },
  ];
  type Handler = (ctx: Ctx) => unknown;
  const route = (method: 'get' | 'post' | 'patch' | 'delete', path: string, doc: { summary: string; body?: z.ZodType; query?: z.ZodType }, handler: Handler): void => {
    documented.push({ method, path, ...doc });
    router[method](path, auth(), async (ctx) => {
      const body = await handler(ctx as unknown as Ctx);
      if (body !== undefined) ctx.body = body;
    });
  };
  const idParam = (ctx: Ctx, name = 'id'): string => parse(z.string().regex(/^[A-Za-z0-9_-]{1,64}$/), ctx.params[name], 'path');
  const body = async <T>(ctx: Ctx, schema: z.ZodType<T>): Promise<T> => parse(schema, await jsonBody(ctx.req), 'body');

  route('get', '/overview', { summary: 'The overview: up-time, published ticks per second, hub latency (gateway receive to publish), sources, recent alerts, whether the sources are simulated' }, async () => {
    if (!o.overview) throw new MdhubError('MDH_ERR_API_NOT_FOUND', { path: '/api/overview' });
    return o.overview();
  });
  route('get', '/health', { summary: "The hub's health (as /healthz), each source with its health" }, () => o.hub().health());
  route('get', '/counters', { summary: 'Data-plane counters: per source received, wins, duplicates, rejections; quality (lag behind the winner, win share, clock offset); canaries; per-instrument states' }, async () => {
    const s = await o.hub().stats();
    return { seq: s.seq, instruments: s.instruments, sources: s.sources, rejections: s.cleansing?.rejections ?? [], quality: s.quality, canaries: s.canaries, instrument_states: s.instrumentStates, takeovers: s.takeovers, states_replaced: s.statesReplaced, subscribers: s.subscribers };
  });

  // ---- accounts (secrets are write-only) ----
  route('get', '/accounts', { summary: 'Broker accounts (secrets never returned: has_password, has_auth_code)' }, async () => ({ accounts: (await o.service.accounts()).rows }));
  route('post', '/accounts', { summary: 'Add an account', body: ENTITY_SCHEMAS.AccountInput() }, async (ctx) => ({ account: await o.service.addAccount(actor(ctx), await body(ctx, ENTITY_SCHEMAS.AccountInput())) }));
  route('patch', '/accounts/:id', { summary: 'Change an account (a secret given replaces the stored one)', body: ENTITY_SCHEMAS.AccountPatch() }, async (ctx) => ({ account: await o.service.setAccount(actor(ctx), idParam(ctx), await body(ctx, ENTITY_SCHEMAS.AccountPatch())) }));
  route('delete', '/accounts/:id', { summary: 'Remove an account no gateway uses' }, async (ctx) => {
    await o.service.removeAccount(actor(ctx), idParam(ctx));
    return { ok: true };
  });

  for (const op of ['enable', 'disable'] as const) {
    route('post', `/accounts/:id/${op}`, { summary: `${op === 'enable' ? 'Enable' : 'Disable'} an account (its gateways ${op === 'enable' ? 'run again' : 'stop'} on every hub)` }, async (ctx) => ({ account: await o.service.enableAccount(actor(ctx), idParam(ctx), op === 'enable') }));
  }

  // ---- gateways ----
  route('get', '/gateways', { summary: 'Gateway instances with their live state and health' }, async () => {
    const [{ rows }, groups] = await Promise.all([o.service.gateways(), o.service.groups()]);
    const live = new Map(o.hub().health().sources.map((x) => [x.id, x]));
    return {
      gateways: rows.map((g) => ({
        id: g.id, plugin: g.plugin, enabled: g.enabled, account_id: g.account_id, hub_id: g.hub_id, config: g.config,
        groups: groups.rows.filter((x) => x.sources.some((y) => y.gateway === g.id)).map((x) => ({ group: x.name, priority: x.sources.find((y) => y.gateway === g.id)!.priority })),
        runtime: live.get(g.id) ?? null,
      })),
    };
  });
  route('post', '/gateways', { summary: 'Add a gateway instance (running hubs start it)', body: ENTITY_SCHEMAS.GatewayInput() }, async (ctx) => ({ gateway: await o.service.addGateway(actor(ctx), await body(ctx, ENTITY_SCHEMAS.GatewayInput())) }));
  route('patch', '/gateways/:id', { summary: 'Change a gateway instance (running hubs restart only it)', body: ENTITY_SCHEMAS.GatewayPatch() }, async (ctx) => ({ gateway: await o.service.setGateway(actor(ctx), idParam(ctx), await body(ctx, ENTITY_SCHEMAS.GatewayPatch())) }));
  route('delete', '/gateways/:id', { summary: 'Remove a gateway instance' }, async (ctx) => {
    await o.service.removeGateway(actor(ctx), idParam(ctx));
    return { ok: true };
  });
  for (const op of ['enable', 'disable'] as const) {
    route('post', `/gateways/:id/${op}`, { summary: `${op === 'enable' ? 'Enable' : 'Disable'} a gateway instance on every hub` }, async (ctx) => ({ gateway: await o.service.enableGateway(actor(ctx), idParam(ctx), op === 'enable') }));
  }
  for (const op of ['start', 'stop', 'restart'] as const) {
    route('post', `/gateways/:id/${op}`, { summary: `${op === 'restart' ? 'Hard-restart' : op === 'start' ? 'Start' : 'Stop'} an instance on this hub` }, async (ctx) => {
      const handlers = o.hub().controlHandlers();
      return { gateway: await handlers[`gateway.${op}`]!({ id: idParam(ctx), actor: actor(ctx).name }) };
    });
  }

  // ---- groups (policy, sources by priority, canaries, cleansing) ----
  route('get', '/groups', { summary: 'Instrument groups' }, async () => ({ groups: (await o.service.groups()).rows }));
  route('post', '/groups', { summary: 'Add a group', body: ENTITY_SCHEMAS.GroupInput() }, async (ctx) => ({ group: await o.service.addGroup(actor(ctx), await body(ctx, ENTITY_SCHEMAS.GroupInput())) }));
  route('patch', '/groups/:id', { summary: 'Change a group (canaries, policy, sources …)', body: ENTITY_SCHEMAS.GroupPatch() }, async (ctx) => ({ group: await o.service.setGroup(actor(ctx), idParam(ctx), await body(ctx, ENTITY_SCHEMAS.GroupPatch())) }));
  route('delete', '/groups/:id', { summary: 'Remove a group' }, async (ctx) => {
    await o.service.removeGroup(actor(ctx), idParam(ctx));
    return { ok: true };
  });

  route('get', '/instruments', { summary: 'Instruments by symbol (search): last state, data state (ok, stale, suspect) and the source that won it', query: InstrumentQuery }, async (ctx) => {
    const q = parse(InstrumentQuery, ctx.query, 'query');
    return o.hub().dataplane.queryInstruments(q.search ?? '', q.limit ?? 100);
  });

  route('get', '/settings', { summary: 'Settings in the database (cleansing, health thresholds), with per-hub overrides' }, async () => {
    const s = await o.service.settings();
    return { settings: s.rows, overrides: s.overrides };
  });

  const SettingBody = z.strictObject({ value: z.unknown(), hub: z.string().regex(/^[A-Za-z0-9_-]{1,32}$/).optional() });
  const SettingQuery = z.strictObject({ hub: z.string().regex(/^[A-Za-z0-9_-]{1,32}$/).optional() });
  route('post', '/settings/:key', { summary: 'Set a setting (cleansing filters, health thresholds), for every hub or one (hub); validated by its schema, applied live', body: SettingBody }, async (ctx) => {
    const b = await body(ctx, SettingBody);
    if (b.value === undefined) throw new MdhubError('MDH_ERR_API_BAD_REQUEST', { where: 'body', reason: 'value: required', fields: ['value'] });
    await o.service.setSetting(actor(ctx), idParam(ctx, 'key'), b.value, b.hub);
    return { ok: true };
  });
  route('delete', '/settings/:key', { summary: 'Remove a setting (back to the defaults), for every hub or one (?hub=)', query: SettingQuery }, async (ctx) => {
    const q = parse(SettingQuery, ctx.query, 'query');
    await o.service.unsetSetting(actor(ctx), idParam(ctx, 'key'), q.hub);
    return { ok: true };
  });

  route('get', '/plugins', { summary: 'Registered plugins' }, async () => ({ plugins: (await o.service.plugins()).rows }));

  route('get', '/logs', { summary: 'Recent log records, newest first (level, area, text, since, limit)', query: LogQuery }, (ctx) => {
    const q = parse(LogQuery, ctx.query, 'query');
    return { logs: o.logs?.({ ...(q.level ? { level: q.level } : {}), ...(q.area ? { area: q.area } : {}), ...(q.text ? { text: q.text } : {}), ...(q.since !== undefined ? { since: q.since } : {}), limit: q.limit ?? 1000 }) ?? [] };
  });

  route('get', '/audit', { summary: 'The audit log, newest first', query: AuditQuery }, async (ctx) => {
    const q = parse(AuditQuery, ctx.query, 'query');
    return { audit: await o.service.auditLog({ limit: q.limit ?? 100, ...(q.since !== undefined ? { since: q.since } : {}), ...(q.action !== undefined ? { action: q.action } : {}) }) };
  });

  router.get('/openapi.json', auth(true), (ctx) => {
    ctx.body = openApi(documented);
  });

  app.use(router.routes());
  app.use(router.allowedMethods());
  const callback = app.callback();
  return { handle: (req, res) => void callback(req, res), sessions };
}
