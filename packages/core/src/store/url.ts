import path from 'node:path';
import { MdhubError } from '../errors.js';

/** A parsed database URL: which adapter, and what it connects to. */
export type DbTarget =
  | { backend: 'sqlite'; file: string; url: string }
  | { backend: 'mysql'; host: string; port: number; user: string; password: string; database: string; url: string }
  | { backend: 'mongodb'; uri: string; database: string; url: string };

const FORMS = 'sqlite:PATH, mysql://USER:PASSWORD@HOST:PORT/DATABASE (mariadb:// too) or mongodb://…/DATABASE';

/**
 * The URL with any password replaced by `***` (for logs, errors, ready.json). The user info runs to the
 * last `@` before the path, so a password holding `@`, `/` or `:` is hidden whole.
 */
export function redactUrl(url: string): string {
  if (typeof url !== 'string') return String(url);
  const m = /^([a-z][a-z0-9+.-]*:(?:\/\/)?)(.*)$/is.exec(url);
  if (!m) return url;
  const rest = m[2]!;
  const at = rest.lastIndexOf('@');
  if (at < 0) return url;
  const userinfo = rest.slice(0, at);
  const colon = userinfo.indexOf(':');
  if (colon < 0) return url;
  return `${m[1]!}${userinfo.slice(0, colon)}:***${rest.slice(at)}`;
}

/**
 * Parses a database URL. One URL selects the adapter: `sqlite:PATH` (`sqlite:///abs/path` too),
 * `mysql://` / `mariadb://`, `mongodb://` / `mongodb+srv://`. Anything else is MDH_ERR_DB_UNSUPPORTED_URL:
 * never a silent fall-back (`mysql:host/db` without `//` used to create a SQLite file named that).
 */
export function parseDbUrl(url: string): DbTarget {
  const shown = redactUrl(url);
  const unsupported = (reason: string): MdhubError => new MdhubError('MDH_ERR_DB_UNSUPPORTED_URL', { url: shown, reason: `${reason}; expected ${FORMS}` });
  if (typeof url !== 'string' || url.trim() === '') throw unsupported('empty');
  if (url.startsWith('sqlite:')) {
    let file = url.slice('sqlite:'.length);
    if (file.startsWith('//')) file = file.slice(2);
    if (file === '' || file.startsWith('//')) throw unsupported('no file path after sqlite:');
    return { backend: 'sqlite', file: path.resolve(file), url };
  }
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase();
  if (scheme === 'mysql' || scheme === 'mariadb') {
    if (!url.slice(scheme.length + 1).startsWith('//')) throw unsupported(`${scheme}: needs // (${scheme}://user:password@host:port/database)`);
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      throw unsupported('not a valid URL');
    }
    const database = decodeURIComponent(u.pathname.replace(/^\//, ''));
    if (!/^[A-Za-z0-9_$-]{1,64}$/.test(database)) throw unsupported('name the database in the path (/database)');
    if (!u.hostname) throw unsupported('no host');
    const port = u.port ? Number(u.port) : 3306;
    return {
      backend: 'mysql', host: u.hostname, port, user: decodeURIComponent(u.username || 'root'), password: decodeURIComponent(u.password), database, url,
    };
  }
  if (scheme === 'mongodb' || scheme === 'mongodb+srv') {
    if (!url.slice(scheme.length + 1).startsWith('//')) throw unsupported(`${scheme}: needs //`);
    let u: URL;
    try {
      u = new URL(url.replace(/^mongodb(\+srv)?:/i, 'http:'));
    } catch {
      throw unsupported('not a valid URL');
    }
    const database = decodeURIComponent(u.pathname.replace(/^\//, ''));
    if (!/^[A-Za-z0-9_-]{1,63}$/.test(database)) throw unsupported('name the database in the path (mongodb://host:27017/database)');
    return { backend: 'mongodb', uri: url, database, url };
  }
  if (scheme && url.slice(scheme.length + 1).startsWith('//')) throw unsupported(`unknown scheme ${scheme}:`);
  throw unsupported('not a database URL (a bare file path is not accepted: write sqlite:PATH)');
}
