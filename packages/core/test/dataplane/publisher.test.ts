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
      p.close();
    }
  });
});
