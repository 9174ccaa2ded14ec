/**
 * Is the hub up? The rule (ARCHITECTURE.md, "client liveness"): the hub is down when the client has
 * drained its socket and seen no message for `staleAfterMs` of its own monotonic time. Never a clock of
 * another host: a heartbeat's `ts` says nothing about whether the hub is alive now. A slow strategy leaves
 * messages waiting in the socket, so it is never "drained" and never reads as a dead hub; a dead hub's
 * backlog is worked through first, and the silence is counted only from the last message.
 * Pure: the caller says whether the socket is drained and supplies the clock.
 */
export class Liveness {
  private lastMessage: number;
  /** True between a `hub_down` and the next message. */
  down = false;

  constructor(readonly staleAfterMs: number, private readonly now: () => number = () => performance.now()) {
    this.lastMessage = now();
  }

  /** A message arrived. True when the hub was down until now (a `hub_up`). */
  message(): boolean {
    this.lastMessage = this.now();
    if (!this.down) return false;
    this.down = false;
    return true;
  }

  /** Milliseconds since the last message. */
  get silentMs(): number {
    return this.now() - this.lastMessage;
  }

  /** Called periodically. Returns the silence (ms) when the hub has just gone down, else null. */
  check(drained: boolean): number | null {
    if (this.down || !drained) return null;
    const silent = this.now() - this.lastMessage;
    if (silent < this.staleAfterMs) return null;
    this.down = true;
    return silent;
  }
}
