/**
 * MariaDB for end-to-end tests: a private server (its own data folder and port, so a test may SIGKILL
 * it), or a private database on the local server at 127.0.0.1:3306. Under MDHUB_REQUIRE_ALL=1 a missing
 * server or binary fails the test instead of skipping it.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import mysql from 'mysql2/promise';
import { alive, sleep } from './helpers.js';

export const REQUIRE_ALL = process.env['MDHUB_REQUIRE_ALL'] === '1';

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** Null when the local MariaDB (127.0.0.1:3306, root, no password) answers, else why not. */
export async function localMariaDown(): Promise<string | null> {
  try {
    const c = await mysql.createConnection({ host: '127.0.0.1', port: 3306, user: 'root', password: '', connectTimeout: 3000 });
    await c.end();
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}

/** A fresh database on the local MariaDB; drop() removes it. */
export async function localDatabase(tag: string): Promise<{ url: string; name: string; drop: () => Promise<void> }> {
  const name = `mdhub_e2e_${tag}_${process.pid}_${crypto.randomBytes(3).toString('hex')}`;
  const c = await mysql.createConnection({ host: '127.0.0.1', port: 3306, user: 'root', password: '' });
  await c.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4`);
  await c.end();
  return {
    name, url: `mysql://root@127.0.0.1:3306/${name}`,
    drop: async () => {
      const d = await mysql.createConnection({ host: '127.0.0.1', port: 3306, user: 'root', password: '' });
      await d.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await d.end();
    },
  };
}

/** Whether a private server can be made here (the MariaDB server binaries). */
export function privateMariaAvailable(): string | null {
  for (const bin of ['/usr/sbin/mariadbd', '/usr/bin/mariadb-install-db']) if (!fs.existsSync(bin)) return `${bin} is missing (apt-get install mariadb-server)`;
  return null;
}

/** A MariaDB server of the test's own: its data folder, its port; SIGKILL it and start it again. */
export class PrivateMariaDB {
  private proc: ChildProcess | null = null;

  private constructor(readonly dir: string, readonly port: number) {}

  static async start(): Promise<PrivateMariaDB> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mdhub-maria-'));
    const r = spawnSync('/usr/bin/mariadb-install-db', ['--no-defaults', `--datadir=${dir}/data`, '--user=root', '--auth-root-authentication-method=normal', '--skip-test-db'], { encoding: 'utf8', timeout: 60_000 });
    if (r.status !== 0) throw new Error(`mariadb-install-db failed: ${r.stderr}`);
    const db = new PrivateMariaDB(dir, await freePort());
    await db.up();
    return db;
  }

  get url(): string {
    return `mysql://root@127.0.0.1:${this.port}/mdhub`;
  }

  /** Starts the server on its data folder and waits until it answers (a `mdhub` database is created once). */
  async up(): Promise<void> {
    this.proc = spawn('/usr/sbin/mariadbd', [
      '--no-defaults', `--datadir=${this.dir}/data`, `--port=${this.port}`, '--bind-address=127.0.0.1', `--socket=${this.dir}/sock`,
      `--pid-file=${this.dir}/pid`, '--user=root', `--log-error=${this.dir}/err.log`, '--skip-log-bin', '--innodb-buffer-pool-size=16M',
    ], { stdio: 'ignore' });
    const until = Date.now() + 30_000;
    for (;;) {
      try {
        const c = await mysql.createConnection({ host: '127.0.0.1', port: this.port, user: 'root', password: '', connectTimeout: 1000 });
        await c.query('CREATE DATABASE IF NOT EXISTS mdhub CHARACTER SET utf8mb4');
        await c.end();
        return;
      } catch (err) {
        if (Date.now() > until) throw new Error(`private MariaDB did not start: ${(err as Error).message}\n${fs.readFileSync(`${this.dir}/err.log`, 'utf8').slice(-2000)}`);
        await sleep(100);
      }
    }
  }

  /** SIGKILL: the server is gone at once, mid-whatever. */
  async kill9(): Promise<void> {
    const p = this.proc;
    this.proc = null;
    if (!p?.pid) return;
    const gone = new Promise((r) => p.once('exit', r));
    p.kill('SIGKILL');
    await gone;
  }

  async stop(): Promise<void> {
    await this.kill9();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  get pid(): number | null {
    return this.proc?.pid !== undefined && alive(this.proc.pid) ? this.proc.pid : null;
  }
}
