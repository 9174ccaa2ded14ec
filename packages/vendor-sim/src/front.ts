/**
 * The simulated front the ABI simulator library connects to (test-only). It serves @mdhub/gateway-sim's
 * market (the tape: the ground truth) to each session's subscriptions as vendor depth structs, and lets a
 * test do to it what happens to real fronts: go down and come back, drop every connection, fall silent,
 * refuse a login, send sentinels or odd timestamps, and make the library crash or hang inside a callback.
 *
 * Protocol (shared with native/mdsim.cc): frames [u32 LE length of type+payload][u8 type][payload].
 */
import net from 'node:net';
import type { MarketTick } from '@mdhub/protocol';
import { Tape, buildUniverse } from '@mdhub/gateway-sim';
import type { SimInstrument } from '@mdhub/gateway-sim';
import { TradingCalendar, clockFromParams, listProducts, loadMarketData, shanghaiDate } from '@mdhub/core/plugin';
import type { Clock, ClockParams } from '@mdhub/core/plugin';
import { GBK, depthStruct, infoStruct, loginStruct, readLoginRequest, specificStruct } from './structs.js';
import type { DepthOptions, Flavour } from './structs.js';

export interface FrontOptions {
  flavour: Flavour;
  /**
   * The market clock (a hub's `ready.clock`, so the front runs the hub's market time). Without it the
   * front listens but answers nothing until {@link SimFront.serve} gives it one (a hub configured with
   * this front's address can then start first: its libraries wait for the front's handshake).
   */
  clock?: ClockParams;
  /** The simulated exchange: gateway-sim's market seed and size. */
  market?: { seed?: number; instruments?: number };
  /** Only these exchanges' instruments are served (SOPT fronts serve SSE/SZSE; CTP fronts the futures exchanges). */
  exchanges?: readonly string[];
  /** Port to listen on (0: a free one). */
  port?: number;
  /** Credentials the front accepts; anything else is refused with CTP error 3. Default: accept all. */
  accounts?: Array<{ brokerId: string; userId: string; password: string }>;
  /** How often the front sends a heartbeat frame while idle, ms (0: never). */
  heartbeatMs?: number;
}

interface Conn {
  sock: net.Socket;
  buf: Buffer;
  loggedIn: boolean;
  subs: Set<string>;
}

export interface FrontStats {
  connections: number;
  logins: number;
  refusedLogins: number;
  /** Login requests the front did not answer (see {@link SimFront.ignoreLogins}). */
  ignoredLogins: number;
  subscribeCalls: number;
  subscribed: number;
  depthSent: number;
}

function frame(type: string, payload: Buffer = Buffer.alloc(0)): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt32LE(payload.length + 1, 0);
  head.write(type, 4, 'latin1');
  return Buffer.concat([head, payload]);
}

/**
 * The market of a front started at `anchorMs`: gateway-sim's universe for the anchor's trading day (the
 * one gateway-sim sources of the same seed replicate), and the part of it the front serves (its exchanges).
 * Tests write a reference file from it before the front serves.
 */
export function frontUniverse(opts: Pick<FrontOptions, 'market' | 'exchanges'>, anchorMs: number, calendar = new TradingCalendar(loadMarketData())): { all: SimInstrument[]; served: SimInstrument[] } {
  const tradingDay = calendar.tradingDayAt('commodity_day', anchorMs) ?? calendar.tradingDayOnOrAfter(shanghaiDate(anchorMs));
  const all = buildUniverse({ seed: opts.market?.seed ?? 20260101, tradingDay, products: listProducts(), instruments: opts.market?.instruments ?? 300 });
  return { all, served: opts.exchanges ? all.filter((i) => opts.exchanges!.includes(i.exchange)) : all };
}

export class SimFront {
  private clockNow: Clock | null = null;
  private market: { universe: SimInstrument[]; tape: Tape } | null = null;
  private readonly calendar = new TradingCalendar(loadMarketData());
  private server: net.Server | null = null;
  private readonly conns = new Set<Conn>();
  private timer: NodeJS.Timeout | null = null;
  private silentUntil = 0;
  private port = 0;
  readonly stats: FrontStats = { connections: 0, logins: 0, refusedLogins: 0, ignoredLogins: 0, subscribeCalls: 0, subscribed: 0, depthSent: 0 };
  /** Every depth snapshot the front sent, per instrument (the ground truth of what a session could see). */
  readonly sent = new Map<string, MarketTick[]>();
  private served = new Set<string>();
  /** The latest tape state of each served instrument (what {@link blast} sends). */
  private readonly latest = new Map<string, MarketTick>();

  private constructor(readonly opts: Readonly<FrontOptions>) {}

  static async start(opts: FrontOptions): Promise<SimFront> {
    const f = new SimFront(opts);
    await f.listen(opts.port ?? 0);
    if (opts.clock) f.serve(opts.clock);
    return f;
  }

  /**
   * Starts the market on `clock` (gateway-sim's tape from the clock's anchor, as gateway-sim sources
   * replicate it) and answers the sessions that connected meanwhile.
   */
  serve(clock: ClockParams): void {
    if (this.market) throw new Error('the front already serves a market');
    this.clockNow = clockFromParams(clock);
    const seed = this.opts.market?.seed ?? 20260101;
    const { all, served: universe } = frontUniverse(this.opts, clock.anchorMs, this.calendar);
    this.served = new Set(universe.map((i) => i.symbol));
    this.market = { universe, tape: new Tape(all, { seed, calendar: this.calendar, startMs: clock.anchorMs }) };
    this.timer = setInterval(() => this.pump(), 5);
    for (const c of this.conns) this.read(c, Buffer.alloc(0));
  }

  /** The market clock (once serving). */
  get clock(): Clock {
    if (!this.clockNow) throw new Error('the front has no market yet: serve(clock) first');
    return this.clockNow;
  }

  /** The instruments this front serves (once serving). */
  get universe(): SimInstrument[] {
    if (!this.market) throw new Error('the front has no market yet: serve(clock) first');
    return this.market.universe;
  }

  /** `tcp://127.0.0.1:PORT` */
  get address(): string {
    return `tcp://127.0.0.1:${this.port}`;
  }

  /** The trading day the front reports at login. */
  get tradingDay(): string {
    const now = this.clock.now();
    return this.calendar.tradingDayAt('commodity_day', now) ?? this.calendar.tradingDayOnOrAfter(shanghaiDate(now));
  }

  private listen(port: number): Promise<void> {
    const server = net.createServer((sock) => this.accept(sock));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        this.port = (server.address() as net.AddressInfo).port;
        resolve();
      });
    });
  }

  private accept(sock: net.Socket): void {
    const c: Conn = { sock, buf: Buffer.alloc(0), loggedIn: false, subs: new Set() };
    this.conns.add(c);
    this.stats.connections++;
    sock.setNoDelay(true);
    sock.on('data', (d: Buffer) => this.read(c, d));
    sock.on('close', () => this.conns.delete(c));
    sock.on('error', () => {});
  }

  private send(c: Conn, type: string, payload?: Buffer): void {
    if (!c.sock.destroyed && this.clock.now() >= this.silentUntil) this.write(c, frame(type, payload));
  }

  private read(c: Conn, d: Buffer): void {
    c.buf = c.buf.length === 0 ? d : Buffer.concat([c.buf, d]);
    while (this.market && c.buf.length >= 5) {
      const len = c.buf.readUInt32LE(0);
      if (c.buf.length < 4 + len) break;
      const type = String.fromCharCode(c.buf[4]!);
      const p = c.buf.subarray(5, 4 + len);
      c.buf = c.buf.subarray(4 + len);
      this.handle(c, type, p);
    }
  }

  private handle(c: Conn, type: string, p: Buffer): void {
    const flavour = this.opts.flavour;
    switch (type) {
      case 'h':
        this.send(c, 'W');
        break;
      case 'l': {
        if (this.loginsToIgnore > 0) {
          this.loginsToIgnore--;
          this.stats.ignoredLogins++;
          break;
        }
        const requestId = p.readInt32LE(0);
        const req = readLoginRequest(p.subarray(4));
        const ok = !this.opts.accounts || this.opts.accounts.some((a) => a.brokerId === req.brokerId && a.userId === req.userId && a.password === req.password);
        const head = Buffer.alloc(5);
        head.writeInt32LE(requestId, 0);
        head[4] = 1;
        if (ok) {
          c.loggedIn = true;
          this.stats.logins++;
          this.send(c, 'L', Buffer.concat([head, loginStruct(flavour, { tradingDay: this.tradingDay, brokerId: req.brokerId, userId: req.userId, systemName: GBK.simFront }), infoStruct(0)]));
        } else {
          this.stats.refusedLogins++;
          this.send(c, 'L', Buffer.concat([head, Buffer.alloc(loginStruct(flavour, { tradingDay: '', brokerId: '', userId: '' }).length), infoStruct(3, GBK.invalidLogin)]));
        }
        break;
      }
      case 's':
      case 'u': {
        const requestId = p.readInt32LE(0);
        const count = p.readInt32LE(4);
        const ids: string[] = [];
        let off = 8;
        for (let i = 0; i < count; i++) {
          const end = p.indexOf(0, off);
          ids.push(p.toString('latin1', off, end));
          off = end + 1;
        }
        if (type === 's') this.stats.subscribeCalls++;
        ids.forEach((id, i) => {
          const known = this.served.has(id);
          if (type === 's' && c.loggedIn && known) c.subs.add(id);
          if (type === 'u') c.subs.delete(id);
          const head = Buffer.alloc(5);
          head.writeInt32LE(requestId, 0);
          head[4] = i === ids.length - 1 ? 1 : 0;
          const info = !c.loggedIn ? infoStruct(-1, 'not logged in') : known ? infoStruct(0) : infoStruct(16, 'no such instrument');
          this.send(c, type === 's' ? 'S' : 'U', Buffer.concat([head, specificStruct(flavour, id), info]));
        });
        this.stats.subscribed = Math.max(this.stats.subscribed, c.subs.size);
        break;
      }
      case 'p':
        if (this.opts.heartbeatMs !== 0) this.send(c, 'H');
        break;
    }
  }

  /** Emits the tape's due snapshots to the sessions subscribed to them. */
  private pump(): void {
    if (!this.market) return;
    const due = this.market.tape.advance(this.clock.now());
    if (due.length === 0 || this.clock.now() < this.silentUntil) return;
    const exchangeId = this.opts.flavour === 'sopt' ? undefined : '';
    const perConn = new Map<Conn, Buffer[]>();
    for (const s of due) {
      const t = s.tick;
      let bytes: Buffer | null = null;
      for (const c of this.conns) {
        if (!c.loggedIn || !c.subs.has(t.symbol)) continue;
        bytes ??= frame('D', depthStruct(this.opts.flavour, t, exchangeId === undefined ? { exchangeId: t.exchange } : { exchangeId }));
        let list = perConn.get(c);
        if (!list) perConn.set(c, (list = []));
        list.push(bytes);
      }
      if (bytes) {
        this.stats.depthSent++;
        let l = this.sent.get(t.symbol);
        if (!l) this.sent.set(t.symbol, (l = []));
        l.push(t);
      }
    }
    for (const [c, list] of perConn) if (!c.sock.destroyed) this.write(c, Buffer.concat(list));
    for (const s of due) if (this.served.has(s.tick.symbol)) this.latest.set(s.tick.symbol, s.tick);
  }

  /**
   * Benchmarks: sends `rate` depth snapshots per second for `ms` to every logged-in session, round the
   * served instruments that have traded, each its latest tape state with the volume raised by one (so
   * every snapshot is a new state). Resolves with how many were sent.
   */
  async blast(rate: number, ms: number): Promise<number> {
    const frames: Buffer[] = [];
    const exchangeId = this.opts.flavour === 'sopt' ? undefined : '';
    for (const t of this.latest.values()) frames.push(frame('D', depthStruct(this.opts.flavour, t, exchangeId === undefined ? { exchangeId: t.exchange } : { exchangeId })));
    if (frames.length === 0) throw new Error('no instrument has traded yet: let the front serve a moment first');
    const VOLUME_AT = 5 + 136; // frame header, then the struct's Volume (int32, §6)
    const t0 = performance.now();
    let sent = 0;
    let k = 0;
    while (performance.now() - t0 < ms) {
      const due = Math.min(Math.floor((rate * (performance.now() - t0)) / 1000) - sent, 20_000);
      if (due > 0) {
        const chunk = Buffer.allocUnsafe(due * frames[0]!.length);
        let off = 0;
        for (let i = 0; i < due; i++) {
          const f = frames[k++ % frames.length]!;
          f.writeInt32LE(f.readInt32LE(VOLUME_AT) + 1, VOLUME_AT);
          off += f.copy(chunk, off);
        }
        for (const c of this.conns) if (c.loggedIn && !c.sock.destroyed) c.sock.write(chunk.subarray(0, off));
        sent += due;
        this.stats.depthSent += due;
      }
      await new Promise((r) => setTimeout(r, 1));
    }
    return sent;
  }

  /** Added one-way delay of everything the front sends, ms (0: none). */
  private delayMs = 0;

  /** Writes to a session now, or after the added delay (order kept: every write waits the same time). */
  private write(c: Conn, bytes: Buffer): void {
    if (this.delayMs <= 0) c.sock.write(bytes);
    else setTimeout(() => { if (!c.sock.destroyed) c.sock.write(bytes); }, this.delayMs);
  }

  // ---- what tests do to a front ----

  private loginsToIgnore = 0;

  /** The next `n` login requests get no answer at all (a front that lost them). */
  ignoreLogins(n: number): void {
    this.loginsToIgnore = n;
  }

  /** Delays everything the front sends by `ms` from now on (a slow network path); 0 ends it. */
  delay(ms: number): void {
    this.delayMs = Math.max(0, ms);
  }

  /** Sends one depth struct built from `t` (and overrides) to every logged-in session. */
  sendDepth(t: MarketTick, opts: DepthOptions = {}): void {
    for (const c of this.conns) if (c.loggedIn) this.send(c, 'D', depthStruct(this.opts.flavour, t, opts));
  }

  /** Sends raw bytes as a depth frame (malformed structs). */
  sendRawDepth(bytes: Buffer): void {
    for (const c of this.conns) if (c.loggedIn) this.send(c, 'D', bytes);
  }

  /** Makes every connected library crash (1: abort, 3: SIGSEGV), hang its callback thread (2), or print (4). */
  fault(kind: 1 | 2 | 3 | 4): void {
    for (const c of this.conns) this.send(c, 'X', Buffer.from([kind]));
  }

  /** Closes every connection (the libraries see 0x1001 and reconnect). */
  dropConnections(): void {
    for (const c of this.conns) c.sock.destroy();
  }

  /** Sends nothing at all for `ms` (heartbeat warnings, then 0x2001). */
  silence(ms: number): void {
    this.silentUntil = this.clock.now() + ms * this.clock.rate;
  }

  /** The front goes down: connections dropped, the port refuses. */
  async kill(): Promise<void> {
    const s = this.server;
    this.server = null;
    this.dropConnections();
    if (s) await new Promise<void>((r) => s.close(() => r()));
  }

  /** The front comes back on the same port. */
  async revive(): Promise<void> {
    if (!this.server) await this.listen(this.port);
  }

  /** Sessions currently connected. */
  get sessions(): number {
    return this.conns.size;
  }

  /** Instruments subscribed by the connected sessions. */
  subscriptions(): Set<string> {
    const out = new Set<string>();
    for (const c of this.conns) for (const s of c.subs) out.add(s);
    return out;
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.kill();
  }
}
