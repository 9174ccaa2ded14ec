/**
 * The control API from the browser: same origin, the session cookie (HttpOnly, so scripts never see it).
 * Errors carry the API's catalog code. A 401 or a forced password change sends the page to the login.
 */
export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly details?: Record<string, unknown>) {
    super(message);
  }
}

let onAuthLost: ((why: 'unauthorized' | 'must_change') => void) | null = null;
/** Who to tell when the session is gone (the app shell redirects). */
export function setAuthLostHandler(fn: ((why: 'unauthorized' | 'must_change') => void) | null): void {
  onAuthLost = fn;
}

export async function api<T = unknown>(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(`/api${path}`, {
      method, credentials: 'same-origin', cache: 'no-store',
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch (err) {
    throw new ApiError(0, 'NETWORK', `the hub does not answer (${(err as Error).message})`);
  }
  const text = await res.text();
  let json: unknown = null;
  try {
    json = text === '' ? null : JSON.parse(text);
  } catch {
    throw new ApiError(res.status, 'BAD_RESPONSE', `the hub answered ${res.status} with something that is not JSON`);
  }
  if (!res.ok) {
    const e = (json as { error?: { code?: string; message?: string; details?: Record<string, unknown> } } | null)?.error;
    const err = new ApiError(res.status, e?.code ?? `HTTP_${res.status}`, e?.message ?? `HTTP ${res.status}`, e?.details);
    if (path !== '/login' && path !== '/password') {
      if (err.code === 'MDH_ERR_API_UNAUTHORIZED') onAuthLost?.('unauthorized');
      if (err.code === 'MDH_ERR_API_PASSWORD_CHANGE_REQUIRED') onAuthLost?.('must_change');
    }
    throw err;
  }
  return json as T;
}

/** A readable line for an error: the message, the fields it names, and the code. */
export function describe(err: unknown): string {
  if (err instanceof ApiError) {
    const reason = typeof err.details?.['reason'] === 'string' ? `: ${err.details['reason']}` : '';
    return `${err.message}${reason}${err.message.includes(err.code) ? '' : ` (${err.code})`}`;
  }
  return String(err);
}
