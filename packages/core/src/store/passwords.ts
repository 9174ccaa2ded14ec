import crypto from 'node:crypto';
import { promisify } from 'node:util';
import { MdhubError } from '../errors.js';

const scrypt = promisify(crypto.scrypt) as (pw: string, salt: Buffer, len: number, opts: crypto.ScryptOptions) => Promise<Buffer>;

/** scrypt cost (N = 2^15, r = 8, p = 1: about 32 MB and tens of ms per hash: fine for logins, slow for guessing). */
const N = 32_768;
const R = 8;
const P = 1;
const LEN = 32;

/** The default first user's password: stored hashed and flagged must-change. */
export const DEFAULT_ADMIN = { username: 'admin', password: '123456' } as const;

/** Hashes a password with scrypt: `scrypt$N$r$p$salt$hash` (base64). */
export async function hashPassword(password: string): Promise<string> {
  const salt = crypto.randomBytes(16);
  const hash = await scrypt(password, salt, LEN, { N, r: R, p: P, maxmem: 64 * 1024 * 1024 });
  return `scrypt$${N}$${R}$${P}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

/** Checks a password against a stored hash in constant time; false for a malformed hash. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [n, r, p] = [Number(parts[1]), Number(parts[2]), Number(parts[3])];
  if (![n, r, p].every((x) => Number.isInteger(x) && x > 0) || n > 1 << 20) return false;
  const salt = Buffer.from(parts[4]!, 'base64');
  const want = Buffer.from(parts[5]!, 'base64');
  if (want.length < 16) return false;
  const got = await scrypt(password, salt, want.length, { N: n, r, p, maxmem: 256 * 1024 * 1024 });
  return crypto.timingSafeEqual(got, want);
}

/** A new password must be at least 8 characters, not the default, not the user name (MDH_ERR_USER_BAD_PASSWORD). */
export function checkNewPassword(username: string, password: string): void {
  const reason = password.length < 8 ? 'shorter than 8 characters'
    : password === DEFAULT_ADMIN.password ? 'the default password'
      : password.toLowerCase() === username.toLowerCase() ? 'the user name'
        : password.length > 1024 ? 'longer than 1024 characters' : null;
  if (reason) throw new MdhubError('MDH_ERR_USER_BAD_PASSWORD', { user: username, reason });
}
