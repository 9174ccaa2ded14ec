/**
 * Encrypted credentials: AES-256-GCM (node:crypto) with a 32-byte key from MDHUB_SECRET_KEY or from a
 * key file created on first start in the data folder (mode 0600). Each ciphertext carries its key id
 * (the first 12 hex digits of the key's SHA-256) and is bound to where it is stored (the account and the
 * field, as additional authenticated data), so a ciphertext copied to another account does not decrypt.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { MdhubError } from '../errors.js';

export interface SecretKey {
  /** First 12 hex digits of SHA-256(key): names the key without revealing it. */
  readonly id: string;
  readonly key: Buffer;
}

export const SECRET_KEY_ENV = 'MDHUB_SECRET_KEY';
export const KEY_FILE = 'secret.key';
const PREFIX = 'v1';

export function keyId(key: Buffer): string {
  return crypto.createHash('sha256').update(key).digest('hex').slice(0, 12);
}

/** A new random key, base64 (what `mdhub secrets new-key` prints). */
export function newKeyText(): string {
  return crypto.randomBytes(32).toString('base64');
}

/** Parses keys written as base64 (44 characters) or hex (64), separated by commas, spaces or newlines. */
export function parseKeys(text: string, where: string): SecretKey[] {
  const parts = text.split(/[\s,]+/).filter((p) => p !== '');
  if (parts.length === 0) throw new MdhubError('MDH_ERR_SECRET_KEY_INVALID', { where, reason: 'no key' });
  return parts.map((p, i) => {
    const hex = /^[0-9a-fA-F]{64}$/.test(p);
    if (!hex && !/^[A-Za-z0-9+/_-]{43}=?$/.test(p)) throw new MdhubError('MDH_ERR_SECRET_KEY_INVALID', { where, index: i, reason: 'not 32 bytes of base64 (44 characters) or hex (64)' });
    const buf = Buffer.from(p, hex ? 'hex' : 'base64');
    return { id: keyId(buf), key: buf };
  });
}

/** Where the keys came from, so the box can re-read them (a rotation by another process). */
export type KeySource = { kind: 'env' } | { kind: 'file'; file: string } | { kind: 'none'; expected: string | null };

/**
 * Encrypts and decrypts secrets with the current key (the first) and any older ones (decrypt only).
 * A box without keys (none configured while encrypted rows exist) refuses both with
 * MDH_ERR_SECRET_KEY_MISSING naming the expected key id.
 */
export class SecretBox {
  private keyList: SecretKey[];

  constructor(keys: readonly SecretKey[], readonly source: KeySource) {
    this.keyList = [...keys];
  }

  /** Id of the key new secrets are encrypted with; null when the box has none. */
  get currentId(): string | null {
    return this.keyList[0]?.id ?? null;
  }

  get keyIds(): string[] {
    return this.keyList.map((k) => k.id);
  }

  /** The keys (the first encrypts), for a rotation to keep decrypting with them. */
  keys(): SecretKey[] {
    return [...this.keyList];
  }

  /** Encrypts `plain`, bound to `context` (e.g. `accounts/ctp-main/password`). */
  encrypt(plain: string, context: string): string {
    const k = this.keyList[0];
    if (!k) throw new MdhubError('MDH_ERR_SECRET_KEY_MISSING', { expected: this.source.kind === 'none' ? this.source.expected : null });
    const iv = crypto.randomBytes(12);
    const c = crypto.createCipheriv('aes-256-gcm', k.key, iv);
    c.setAAD(Buffer.from(`${k.id}|${context}`));
    const ct = Buffer.concat([c.update(plain, 'utf8'), c.final()]);
    return [PREFIX, k.id, iv.toString('base64url'), c.getAuthTag().toString('base64url'), ct.toString('base64url')].join(':');
  }

  /** The key id a ciphertext was made with (null when it is not one of ours). */
  static keyIdOf(ciphertext: string): string | null {
    const p = ciphertext.split(':');
    return p.length === 5 && p[0] === PREFIX ? p[1]! : null;
  }

  /**
   * Decrypts a ciphertext made for `context`: MDH_ERR_SECRET_KEY_MISSING when no key is available,
   * MDH_ERR_SECRET_KEY_MISMATCH when its key is not among ours (after re-reading the key file once),
   * MDH_ERR_SECRET_UNDECRYPTABLE when it does not authenticate (damaged, or moved to another context).
   */
  decrypt(ciphertext: string, context: string): string {
    const p = ciphertext.split(':');
    if (p.length !== 5 || p[0] !== PREFIX) throw new MdhubError('MDH_ERR_SECRET_UNDECRYPTABLE', { context, reason: 'not an mdhub ciphertext' });
    const kid = p[1]!;
    let k = this.keyList.find((x) => x.id === kid);
    if (!k && this.source.kind === 'file') {
      this.reload();
      k = this.keyList.find((x) => x.id === kid);
    }
    if (!k) {
      if (this.keyList.length === 0) throw new MdhubError('MDH_ERR_SECRET_KEY_MISSING', { context, expected: kid });
      throw new MdhubError('MDH_ERR_SECRET_KEY_MISMATCH', { context, expected: kid, available: this.keyIds });
    }
    try {
      const d = crypto.createDecipheriv('aes-256-gcm', k.key, Buffer.from(p[2]!, 'base64url'));
      d.setAAD(Buffer.from(`${kid}|${context}`));
      d.setAuthTag(Buffer.from(p[3]!, 'base64url'));
      return Buffer.concat([d.update(Buffer.from(p[4]!, 'base64url')), d.final()]).toString('utf8');
    } catch (err) {
      throw new MdhubError('MDH_ERR_SECRET_UNDECRYPTABLE', { context, key: kid, reason: 'authentication failed' }, err);
    }
  }

  /** Re-reads the key files (another process rotated the key). */
  reload(): void {
    if (this.source.kind !== 'file') return;
    try {
      this.keyList = readKeyFiles(this.source.file);
    } catch { /* keep the keys we have */ }
  }
}

/**
 * The keys of a key file (the first encrypts) followed by those of its siblings `secret.key.*` (a rotation's
 * pending `secret.key.new`, a retired `secret.key.<id>.old`), which decrypt only: a rotation interrupted
 * halfway never leaves a secret without its key.
 */
export function readKeyFiles(file: string): SecretKey[] {
  const keys = parseKeys(fs.readFileSync(file, 'utf8'), file);
  const dir = path.dirname(file);
  const base = path.basename(file);
  for (const f of fs.readdirSync(dir).filter((x) => x.startsWith(`${base}.`)).sort()) {
    try {
      for (const k of parseKeys(fs.readFileSync(path.join(dir, f), 'utf8'), f)) if (!keys.some((x) => x.id === k.id)) keys.push(k);
    } catch { /* not a key file */ }
  }
  return keys;
}

export interface KeyResolution {
  box: SecretBox;
  /** True when this call created the key file. */
  created: boolean;
  /** A warning to log (a key file readable by others, say). */
  warning?: string;
}

/**
 * Finds the secret keys: MDHUB_SECRET_KEY (one or more keys, the first encrypts), else the key file
 * `<dataDir>/secret.key`. Without either, a new key file is created (mode 0600) only when the database
 * holds no encrypted secret yet (`expectedKeyId` null); otherwise the box has no key and every use names
 * the key the database expects, so a hub never makes a key that cannot read what is stored.
 */
export function resolveSecretKeys(opts: { env: NodeJS.ProcessEnv; dataDir: string; expectedKeyId: string | null; create: boolean }): KeyResolution {
  const fromEnv = opts.env[SECRET_KEY_ENV];
  if (fromEnv !== undefined && fromEnv.trim() !== '') return { box: new SecretBox(parseKeys(fromEnv, SECRET_KEY_ENV), { kind: 'env' }), created: false };
  const file = path.join(opts.dataDir, KEY_FILE);
  if (fs.existsSync(file)) {
    const keys = readKeyFiles(file);
    const mode = fs.statSync(file).mode & 0o777;
    const warning = (mode & 0o077) !== 0 ? `${file} is readable by other users (mode ${mode.toString(8)}): chmod 600 it` : undefined;
    return { box: new SecretBox(keys, { kind: 'file', file }), created: false, ...(warning ? { warning } : {}) };
  }
  if (opts.expectedKeyId !== null || !opts.create) return { box: new SecretBox([], { kind: 'none', expected: opts.expectedKeyId }), created: false };
  fs.mkdirSync(opts.dataDir, { recursive: true });
  const text = newKeyText();
  fs.writeFileSync(file, `${text}\n`, { mode: 0o600, flag: 'wx' });
  return { box: new SecretBox(parseKeys(text, file), { kind: 'file', file }), created: true };
}
