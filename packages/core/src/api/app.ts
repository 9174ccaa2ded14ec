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

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

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

  router.get('/health', auth(), (ctx) => {
    ctx.body = o.hub().health();
  });

  router.get('/gateways', auth(), async (ctx) => {
    const [{ rows }, groups] = await Promise.all([o.service.gateways(), o.service.groups()]);
    const live = new Map(o.hub().health().sources.map((x) => [x.id, x]));
    ctx.body = {
      gateways: rows.map((g) => ({
        id: g.id, plugin: g.plugin, enabled: g.enabled, account_id: g.account_id, hub_id: g.hub_id, config: g.config,
        groups: groups.rows.filter((x) => x.sources.some((y) => y.gateway === g.id)).map((x) => ({ group: x.name, priority: x.sources.find((y) => y.gateway === g.id)!.priority })),
        runtime: live.get(g.id) ?? null,
      })),
    };
  });

  for (const op of ['start', 'stop', 'restart'] as const) {
    router.post(`/gateways/:id/${op}`, auth(), async (ctx) => {
      const id = parse(z.string().regex(/^[A-Za-z0-9_-]{1,64}$/), ctx.params['id'], 'path');
      const handlers = o.hub().controlHandlers();
      ctx.body = { gateway: await handlers[`gateway.${op}`]!({ id, actor: actor(ctx).name }) };
    });
  }

  router.get('/audit', auth(), async (ctx) => {
    const q = parse(AuditQuery, ctx.query, 'query');
    ctx.body = { audit: await o.service.auditLog({ limit: q.limit ?? 100, ...(q.since !== undefined ? { since: q.since } : {}), ...(q.action !== undefined ? { action: q.action } : {}) }) };
  });

  app.use(router.routes());
  app.use(router.allowedMethods());
  const callback = app.callback();
  return { handle: (req, res) => void callback(req, res), sessions };
}
