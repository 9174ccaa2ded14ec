import { describe, expect, it } from 'vitest';
import { Publisher, SOCKET_BATCH_BYTES, ZMQ_OUT_BATCH_SIZE } from '../../src/dataplane/publisher.js';

describe('Publisher socket options', () => {
  it('writes up to 64 KB per syscall (ZMQ_OUT_BATCH_SIZE), never blocks and never waits to send', async () => {
    const p = new Publisher({ endpoint: 'tcp://127.0.0.1:*', sendHighWaterMark: 1000 });
    const sock = (p as unknown as { sock: { getInt32Option(id: number): number; sendTimeout: number; linger: number } }).sock;
    try {
      // zeromq.js's libzmq has the draft option; if an upgrade drops it this fails instead of silently reverting to 8 KB.
      expect(sock.getInt32Option(ZMQ_OUT_BATCH_SIZE)).toBe(SOCKET_BATCH_BYTES);
      expect(sock.sendTimeout).toBe(0);
      expect(sock.linger).toBe(0);
    } finally {
      await p.close();
    }
  });
});

describe('Publisher subscribers', () => {
  it('counts subscriber connections from the socket monitor, and their ends', async () => {
    const zmq = await import('zeromq');
    const p = new Publisher({ endpoint: 'tcp://127.0.0.1:*', sendHighWaterMark: 1000 });
    const subs: Array<InstanceType<typeof zmq.Subscriber>> = [];
    try {
      const ep = await p.bind();
      for (let i = 0; i < 2; i++) {
        const s = new zmq.Subscriber({ linger: 0 });
        s.connect(ep);
        subs.push(s);
      }
      const until = async (ok: () => boolean): Promise<void> => {
        for (let i = 0; i < 100 && !ok(); i++) await new Promise((r) => setTimeout(r, 20));
      };
      await until(() => p.peers.connected === 2);
      expect(p.peers).toEqual({ connected: 2, connects: 2, disconnects: 0 });
      subs.shift()!.close();
      await until(() => p.peers.connected === 1);
      expect(p.peers).toEqual({ connected: 1, connects: 2, disconnects: 1 });
      expect(p.highWaterMark).toBe(1000);
    } finally {
      for (const s of subs) s.close();
      await p.close();
    }
  });
});
