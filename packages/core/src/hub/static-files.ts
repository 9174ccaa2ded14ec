/**
 * The dashboard's static files (`packages/dashboard/out`, a Next.js static export) on the hub's HTTP port:
 * GET and HEAD only, paths confined to the folder (no `..`, no symlink out of it), `/gateways` served from
 * `gateways.html` or `gateways/index.html`. Built assets under `/_next/static/` are cached for good (their
 * names carry a hash); pages are revalidated on every load, so a rebuilt dashboard shows at once. A hub
 * without a built dashboard answers `/` with a page that says how to build one.
 */
import fs from 'node:fs';
import path from 'node:path';
import type http from 'node:http';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** Where the dashboard is built: @mdhub/dashboard's `out/` when the package resolves, else the repository's packages/dashboard/out. */
export function dashboardDir(): string {
  try {
    return path.join(path.dirname(createRequire(import.meta.url).resolve('@mdhub/dashboard/package.json')), 'out');
  } catch {
    return fileURLToPath(new URL('../../../dashboard/out', import.meta.url));
  }
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8', '.svg': 'image/svg+xml', '.png': 'image/png', '.ico': 'image/x-icon', '.woff2': 'font/woff2', '.map': 'application/json',
};

/** The headers every dashboard response carries: no framing, no sniffing, scripts and connections to this origin only. */
const SECURITY = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'same-origin',
  // Next.js inlines its hydration data as scripts, hence 'unsafe-inline' for scripts and styles.
  'content-security-policy': "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self' ws: wss:; frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
};

const MISSING = (dir: string): string => `<!doctype html><html><head><meta charset="utf-8"><title>mdhub</title></head><body style="font-family:sans-serif;max-width:40em;margin:3em auto">
<h1>mdhub is running</h1><p>The dashboard is not built in <code>${dir.replace(/[<>&]/g, '')}</code>.</p>
<p>Build it with <code>npm run build:dashboard</code> (or start the hub with <code>npm start</code>, which builds it when missing), then reload.</p>
<p>The API is at <a href="/api/openapi.json">/api</a>, health at <a href="/healthz">/healthz</a>, metrics at <a href="/metrics">/metrics</a>.</p></body></html>`;

export class StaticFiles {
  private readonly root: string | null;

  /** `dir` is the export folder; null serves nothing (the dashboard is turned off). */
  constructor(dir: string | null) {
    this.root = dir === null ? null : path.resolve(dir);
  }

  /** Whether the folder holds a built dashboard. */
  get built(): boolean {
    return this.root !== null && fs.existsSync(path.join(this.root, 'index.html'));
  }

  get dir(): string | null {
    return this.root;
  }

  /** Serves the request when it names a file of the dashboard; false when it does not (the caller answers 404). */
  async serve(req: http.IncomingMessage, res: http.ServerResponse, pathname: string): Promise<boolean> {
    if (this.root === null || (req.method !== 'GET' && req.method !== 'HEAD')) return false;
    if (!this.built) {
      if (pathname !== '/' && pathname !== '/index.html') return false;
      res.writeHead(200, { 'content-type': TYPES['.html']!, 'cache-control': 'no-store', ...SECURITY }).end(req.method === 'HEAD' ? undefined : MISSING(this.root));
      return true;
    }
    let rel: string;
    try {
      rel = decodeURIComponent(pathname);
    } catch {
      return false;
    }
    if (rel.includes('\0') || rel.split('/').some((p) => p === '..')) return false;
    const file = await this.find(rel);
    if (!file) return false;
    const ext = path.extname(file);
    const immutable = rel.startsWith('/_next/static/');
    const stat = await fs.promises.stat(file);
    res.writeHead(200, {
      'content-type': TYPES[ext] ?? 'application/octet-stream', 'content-length': stat.size,
      'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache', ...SECURITY,
    });
    if (req.method === 'HEAD') {
      res.end();
      return true;
    }
    await new Promise<void>((resolve) => {
      const s = fs.createReadStream(file);
      s.on('error', () => {
        res.destroy();
        resolve();
      });
      s.on('end', () => resolve());
      s.pipe(res);
    });
    return true;
  }

  /** The file for a URL path: the path itself, PATH.html, or PATH/index.html; only inside the root. */
  private async find(rel: string): Promise<string | null> {
    const root = await fs.promises.realpath(this.root!).catch(() => this.root!);
    const base = path.join(root, rel);
    const candidates = rel.endsWith('/') ? [path.join(base, 'index.html')] : [base, `${base}.html`, path.join(base, 'index.html')];
    for (const c of candidates) {
      try {
        const real = await fs.promises.realpath(c);
        if (real !== root && !real.startsWith(root + path.sep)) continue;
        if ((await fs.promises.stat(real)).isFile()) return real;
      } catch {
        // not there: the next candidate
      }
    }
    return null;
  }

  /** The export's 404 page, when there is one. */
  async notFound(req: http.IncomingMessage, res: http.ServerResponse): Promise<boolean> {
    if (this.root === null || !this.built || req.method !== 'GET') return false;
    const file = path.join(this.root, '404.html');
    const html = await fs.promises.readFile(file).catch(() => null);
    if (!html) return false;
    res.writeHead(404, { 'content-type': TYPES['.html']!, 'cache-control': 'no-cache', ...SECURITY }).end(html);
    return true;
  }
}
