/**
 * Sessions of the control API: an opaque random token per login, held in memory (a hub restart logs
 * everyone out), idle for at most `idleMs`. The same token works as the `mdhub_session` cookie
 * (HttpOnly, SameSite=Strict) and as a bearer token for scripts.
 */
import crypto from 'node:crypto';

export interface Session {
  token: string;
  user: string;
  /** The user must change the password before anything else works. */
  mustChange: boolean;
  createdAt: number;
  lastSeen: number;
}

export class Sessions {
  private readonly byToken = new Map<string, Session>();

  constructor(private readonly idleMs = 12 * 3_600_000, private readonly max = 10_000) {}

  create(user: string, mustChange: boolean): Session {
    if (this.byToken.size >= this.max) {
      // The oldest idle session goes first.
      const oldest = [...this.byToken.values()].sort((a, b) => a.lastSeen - b.lastSeen)[0];
      if (oldest) this.byToken.delete(oldest.token);
    }
    const now = Date.now();
    const s: Session = { token: crypto.randomBytes(32).toString('base64url'), user, mustChange, createdAt: now, lastSeen: now };
    this.byToken.set(s.token, s);
    return s;
  }

  /** The live session of a token (its idle time starts over), or null. */
  get(token: string | undefined): Session | null {
    if (!token) return null;
    const s = this.byToken.get(token);
    if (!s) return null;
    const now = Date.now();
    if (now - s.lastSeen > this.idleMs) {
      this.byToken.delete(token);
      return null;
    }
    s.lastSeen = now;
    return s;
  }

  destroy(token: string): void {
    this.byToken.delete(token);
  }

  /** Ends every session of a user but `keep` (a password change logs the other sessions out). */
  destroyUser(user: string, keep?: string): void {
    for (const [t, s] of this.byToken) if (s.user === user && t !== keep) this.byToken.delete(t);
  }
}

/**
 * Failed logins per client address and per user name: after `max` failures within `windowMs`, logins
 * from that address or for that user are refused for the rest of the window (MDH_ERR_API_RATE_LIMITED).
 */
export class LoginLimiter {
  private readonly failures = new Map<string, number[]>();

  constructor(private readonly max = 5, private readonly windowMs = 60_000) {}

  /** ms to wait before another try, 0 when allowed. */
  retryAfter(keys: string[], now = Date.now()): number {
    let wait = 0;
    for (const k of keys) {
      const f = (this.failures.get(k) ?? []).filter((t) => now - t < this.windowMs);
      if (f.length === 0) this.failures.delete(k);
      else this.failures.set(k, f);
      if (f.length >= this.max) wait = Math.max(wait, this.windowMs - (now - f[0]!));
    }
    return wait;
  }

  fail(keys: string[], now = Date.now()): void {
    for (const k of keys) {
      const f = this.failures.get(k) ?? [];
      f.push(now);
      if (f.length > this.max * 4) f.splice(0, f.length - this.max * 4);
      this.failures.set(k, f);
    }
    if (this.failures.size > 100_000) this.failures.clear(); // a flood of addresses cannot grow this without bound
  }

  succeed(keys: string[]): void {
    for (const k of keys) this.failures.delete(k);
  }
}
