/**
 * The composition root, used as a test uses it: a hub started in process with one service replaced under
 * its token (the logger) runs on the replacement everywhere, and its stop unwinds everything it started.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { Logger, TOKENS, parseHubConfig, startHub } from '@mdhub/core';
import { SIM_ANCHOR, alive, waitFor } from './helpers.js';

describe('composition root', () => {
  it('a service replaced under its token is the one every other service gets', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mdhub-e2e-'));
    let text = '';
    const logger = new Logger({ level: 'info', stream: new Writable({ write(c: Buffer, _e, cb) { text += c.toString(); cb(); } }) as never });
    const settings = parseHubConfig({ dataDir, pub: 'tcp://127.0.0.1:*', snapshot: 'tcp://127.0.0.1:*', http: 'off', hubId: `comp${process.pid}`, simAnchor: SIM_ANCHOR });
    const hub = await startHub(settings, { register: (c) => c.register(TOKENS.Logger, { useValue: logger }) });
    try {
      expect(hub.log).toBe(logger);
      await waitFor('three subscribed sources', () => hub.supervisor.info().filter((s) => s.state === 'subscribed').length === 3, 20_000);
      const records = text.trim().split('\n').map((l) => JSON.parse(l) as { msg: string; area: string });
      expect(records.some((r) => r.msg === 'hub_started')).toBe(true); // the status bus logs through it
      expect(records.some((r) => r.area === 'gateway:sim-a')).toBe(true); // the supervisor too
      expect(fs.existsSync(path.join(dataDir, 'hub.pid'))).toBe(true);
    } finally {
      const pids = hub.supervisor.pids();
      await hub.stop();
      expect(pids.every((p) => !alive(p))).toBe(true);
      for (const f of ['hub.pid', 'ready.json', 'control.sock']) expect(fs.existsSync(path.join(dataDir, f)), f).toBe(false);
    }
  });
});
