import os from 'node:os';
import path from 'node:path';
import * as zmq from 'zeromq';
import { describe, expect, it } from 'vitest';
import { BatchDecoder, emptyMarketTick } from '@mdhub/protocol';
import { GatewayLink, LINK_MAX_BATCH } from '../../src/gateway/link.js';

const tick = { ...emptyMarketTick('rb2701', 'SHFE'), datetime: 1, trading_day: '20261125', gateway_name: 'g' };

describe('GatewayLink', () => {
  it('sends everything emitted in one event-loop turn as one batch', async () => {
    const pull = new zmq.Pull({ linger: 0 });
    await pull.bind('tcp://127.0.0.1:*');
    const link = new GatewayLink('run', 'g');
    link.connect(pull.lastEndpoint!);
    link.emit([tick, tick]);
    link.emit([tick]);
    const [msg] = await pull.receive();
    const decoder = new BatchDecoder();
    const b = decoder.decode(msg!);
    expect(b.ticks).toHaveLength(3);
    expect(b.batchSeq).toBe(1);
    expect(b.sentNs).toBeGreaterThan(0);
    // The next batch refers to the strings of the first by id (sent once per link).
    link.emit([tick]);
    const [next] = await pull.receive();
    const b2 = decoder.decode(next!);
    expect(b2.ticks.map((t) => t.symbol)).toEqual(['rb2701']);
    expect(b2.bad).toEqual([]);
    expect(next!.length).toBeLessThan(msg!.length / 2);
    await link.close();
    pull.close();
  });

  it('sends a backlog as messages of at most LINK_MAX_BATCH ticks, in order, every tick once', async () => {
    const pull = new zmq.Pull({ linger: 0 });
    await pull.bind('tcp://127.0.0.1:*');
    const link = new GatewayLink('run', 'g');
    link.connect(pull.lastEndpoint!);
    const n = 2 * LINK_MAX_BATCH + 123;
    link.emit(Array.from({ length: n }, (_, i) => ({ ...tick, datetime: i + 1 })));
    const decoder = new BatchDecoder();
    const sizes: number[] = [];
    const seen: number[] = [];
    while (seen.length < n) {
      const [msg] = await pull.receive();
      const b = decoder.decode(msg!);
      sizes.push(b.ticks.length);
      for (const t of b.ticks) seen.push(t.datetime);
    }
    expect(sizes).toEqual([LINK_MAX_BATCH, LINK_MAX_BATCH, 123]);
    expect(seen).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    expect(link.pendingTicks).toBe(0);
    // ticks emitted while a backlog drains join it behind what came before
    link.emit(Array.from({ length: LINK_MAX_BATCH + 1 }, (_, i) => ({ ...tick, datetime: n + i + 1 })));
    link.emit([{ ...tick, datetime: n + LINK_MAX_BATCH + 2 }]);
    const more: number[] = [];
    while (more.length < LINK_MAX_BATCH + 2) for (const t of decoder.decode((await pull.receive())[0]!).ticks) more.push(t.datetime);
    expect(more).toEqual(Array.from({ length: LINK_MAX_BATCH + 2 }, (_, i) => n + i + 1));
    await link.close();
    pull.close();
  });

  it('holds a backlog behind a blocked send as encoded messages, then sends it in order, every tick once', async () => {
    // The hub's end binds late: the link's queue (LINK_HWM messages) fills and its next send waits.
    const endpoint = `ipc://${path.join(os.tmpdir(), `mdhub-link-${process.pid}-${Date.now()}`)}`;
    const link = new GatewayLink('run', 'g');
    link.connect(endpoint);
    let next = 1;
    for (let k = 0; k < 40; k++) {
      link.emit(Array.from({ length: 10 }, () => ({ ...tick, datetime: next++ })));
      await new Promise((r) => setImmediate(r));
    }
    const backlog = 5 * LINK_MAX_BATCH + 77;
    const n = next - 1 + backlog;
    while (next <= n) link.emit(Array.from({ length: Math.min(1000, n - next + 1) }, () => ({ ...tick, datetime: next++ })));
    // whole messages' worth is already bytes; the rest (under one message) waits as objects
    expect(link.encodedTicks).toBeGreaterThanOrEqual(4 * LINK_MAX_BATCH);
    expect(link.pendingTicks - link.encodedTicks).toBeLessThan(LINK_MAX_BATCH);
    const pull = new zmq.Pull({ linger: 0 });
    await pull.bind(endpoint);
    const decoder = new BatchDecoder();
    const seen: number[] = [];
    const seqs: number[] = [];
    while (seen.length < n) {
      const b = decoder.decode((await pull.receive())[0]!);
      expect(b.bad).toEqual([]);
      expect(b.ticks.length).toBeLessThanOrEqual(LINK_MAX_BATCH);
      seqs.push(b.batchSeq);
      for (const t of b.ticks) seen.push(t.datetime);
    }
    expect(seen).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    expect(seqs).toEqual(seqs.map((_, i) => i + 1));
    expect(link.pendingTicks).toBe(0);
    expect(link.encodedTicks).toBe(0);
    await link.close();
    pull.close();
  });

  it('bounds what it holds when the hub does not read, and counts the overflow', async () => {
    const link = new GatewayLink('run', 'g', 1000);
    link.connect('tcp://127.0.0.1:9'); // nobody there: the first send never completes
    const chunk = new Array(300).fill(tick);
    for (let i = 0; i < 4; i++) link.emit(chunk); // 1,200 offered, 1,000 held
    expect(link.overflow).toBe(200);
    await new Promise((r) => setImmediate(r)); // the first batch goes to the (stuck) socket
    for (let i = 0; i < 4; i++) link.emit(chunk); // 1,200 more, 1,000 held while the send is stuck
    expect(link.overflow).toBe(400);
    await link.close();
  });
});
