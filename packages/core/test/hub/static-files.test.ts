/**
 * The dashboard's static files on the hub's HTTP port: pages by clean path, hashed assets cached for
 * good, nothing outside the folder (no `..`, no symlink out), GET and HEAD only, a helpful page when
 * nothing is built.
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StaticFiles } from '../../src/hub/static-files.js';

let dir: string;
let outside: string;

async function serve(files: StaticFiles, method: string, url: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  const server = http.createServer((req, res) => {
    void (async () => {
      const p = new URL(req.url ?? '/', 'http://x').pathname;
      if (await files.serve(req, res, p)) return;
      if (await files.notFound(req, res)) return;
      res.writeHead(404).end('plain 404');
    })();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  try {
    return await new Promise((resolve, reject) => {
      // raw paths: fetch would normalise `..` away before sending
      const req = http.request({ host: '127.0.0.1', port, method, path: url }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => { body += d.toString(); });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      });
      req.on('error', reject);
      req.end();
    });
  } finally {
    server.close();
  }
}

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mdhub-static-'));
  outside = fs.mkdtempSync(path.join(os.tmpdir(), 'mdhub-outside-'));
  fs.writeFileSync(path.join(outside, 'secret.txt'), 'SECRET');
  fs.writeFileSync(path.join(dir, 'index.html'), '<h1>overview</h1>');
  fs.writeFileSync(path.join(dir, 'gateways.html'), '<h1>gateways</h1>');
  fs.writeFileSync(path.join(dir, '404.html'), '<h1>not here</h1>');
  fs.mkdirSync(path.join(dir, '_next', 'static', 'chunks'), { recursive: true });
  fs.writeFileSync(path.join(dir, '_next', 'static', 'chunks', 'app-1a2b.js'), 'console.log(1)');
  fs.symlinkSync(path.join(outside, 'secret.txt'), path.join(dir, 'leak.txt'));
});

afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.rmSync(outside, { recursive: true, force: true });
});

describe('the dashboard static files', () => {
  it('serves pages by clean path, revalidated, with security headers', async () => {
    const f = new StaticFiles(dir);
    for (const [url, text] of [['/', 'overview'], ['/gateways', 'gateways'], ['/gateways.html', 'gateways']] as const) {
      const r = await serve(f, 'GET', url);
      expect([url, r.status, r.body.includes(text)]).toEqual([url, 200, true]);
      expect(r.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(r.headers['cache-control']).toBe('no-cache');
      expect(r.headers['x-frame-options']).toBe('DENY');
      expect(r.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    }
    const head = await serve(f, 'HEAD', '/gateways');
    expect([head.status, head.body]).toEqual([200, '']);
  });

  it('caches hashed assets for good, with their type', async () => {
    const r = await serve(new StaticFiles(dir), 'GET', '/_next/static/chunks/app-1a2b.js');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(r.headers['cache-control']).toContain('immutable');
  });

  it('never reads outside its folder: .. (plain or encoded), a symlink out, a NUL', async () => {
    const f = new StaticFiles(dir);
    for (const url of ['/../' + path.basename(outside) + '/secret.txt', '/%2e%2e/' + path.basename(outside) + '/secret.txt', '/leak.txt', '/index.html%00.js', '/%E0%A4%A']) {
      const r = await serve(f, 'GET', url);
      expect([url, r.status]).toEqual([url, 404]);
      expect(r.body).not.toContain('SECRET');
    }
  });

  it('answers only GET and HEAD; a missing file gets the export\'s 404 page', async () => {
    const f = new StaticFiles(dir);
    expect((await serve(f, 'POST', '/')).status).toBe(404);
    const r = await serve(f, 'GET', '/no-such-page');
    expect([r.status, r.body]).toEqual([404, '<h1>not here</h1>']);
  });

  it('without a built dashboard, / says how to build one; off serves nothing', async () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'mdhub-empty-'));
    try {
      const r = await serve(new StaticFiles(empty), 'GET', '/');
      expect(r.status).toBe(200);
      expect(r.body).toContain('npm run build:dashboard');
      expect((await serve(new StaticFiles(empty), 'GET', '/gateways')).status).toBe(404);
      expect((await serve(new StaticFiles(null), 'GET', '/')).body).toBe('plain 404');
    } finally {
      fs.rmSync(empty, { recursive: true, force: true });
    }
  });
});
