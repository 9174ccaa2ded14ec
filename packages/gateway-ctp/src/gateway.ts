/**
 * The CTP / SOPT market-data gateway: one vendor API object in this gateway process, driven through the
 * N-API binding. Connection (vendor ABI spec §7): Init, then on every OnFrontConnected a login, and on
 * every successful login the whole subscription again in batches (vn.py's practice: nothing is left to
 * the library after a reconnect). Disconnect reasons become the state's reason with human text; heartbeat
 * warnings are reported; GetApiVersion is in the status. A refused login stops the gateway with a
 * non-retryable error (no reconnect storm that could lock the account). A watchdog catches a hung library.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { MarketTick } from '@mdhub/protocol';
import type { Gateway, GatewayContext, InstrumentRef, SessionTemplateId } from '@mdhub/core/plugin';
import { PluginError, shanghaiDate } from '@mdhub/core/plugin';
import type { GatewayConfig } from './config.js';
import { DepthConverter, templateOf } from './convert.js';
import { CtpError } from './errors.js';
import { apiVersion, monoNs, openSession } from './native.js';
import type { NativeSession, VendorEvent } from './native.js';
import { readReferenceFile, resolveUniverse } from './reference.js';
import type { Exchange } from '@mdhub/protocol';

/** OnFrontDisconnected reasons (spec §7.4), as the state's reason says them. */
export const DISCONNECT_REASONS: Record<number, string> = {
  0x1001: 'network read failure (the front closed the connection, or the network failed)',
  0x1002: 'network write failure',
  0x2001: 'heartbeat timeout (nothing received from the front for too long)',
  0x2002: 'heartbeat send failure',
  0x2003: 'an erroneous message was received from the front',
};

/** The state reason of a disconnect: `0x1001 network read failure (…); the library reconnects by itself`. */
export function disconnectReason(code: number): string {
  const hex = `0x${code.toString(16).padStart(4, '0')}`;
  return `${hex} ${DISCONNECT_REASONS[code] ?? 'unknown reason'}; the library reconnects by itself`;
}

/**
 * Login errors that a later attempt can get past (the front is not ready yet); every other refusal is
 * final. Vendor error ids: 1 not in synchronised state, 7 not initialised yet, 8 front not active. These
 * come from the vendor's error table, not from a real front here (docs/gateways/ctp.md).
 */
const TRANSIENT_LOGIN_ERRORS = new Set([1, 7, 8]);
const LOGIN_RETRY_MS = 5_000;
const MAX_LOGIN_RETRIES = 5;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface GatewayOptions {
  /** Exchanges this gateway's fronts serve (futures exchanges for CTP, SSE/SZSE for SOPT). */
  exchanges: readonly Exchange[];
}

export class CtpGateway implements Gateway {
  private session: NativeSession | null = null;
  private readonly cfg: GatewayConfig;
  private readonly converter: DepthConverter;
  private list: InstrumentRef[] = [];
  private templates: SessionTemplateId[] = [];
  private reqId = 0;
  /** Bumped on every connect, disconnect and stop: a subscription run of an earlier session stops. */
  private epoch = 0;
  /** Where the current session is: nothing yet, logged in (subscribing), or subscribed. */
  private phase: 'none' | 'logged_in' | 'subscribed' = 'none';
  private subscribedSent = 0;
  private acks = 0;
  private subErrors = 0;
  private loginRetries = 0;
  private stopped = false;
  private failed = false;
  private watchdog: NodeJS.Timeout | null = null;
  private connectTimer: NodeJS.Timeout | null = null;
  private unhealthySent = false;
  /** Vendor callback → link, µs per tick (`stats`). */
  private readonly latency = new LogHistogram();
  private readonly counters = { connects: 0, disconnects: 0, logins: 0, heartbeat_warnings: 0, vendor_errors: 0, flow_control_waits: 0, login_timeouts: 0, event_errors: 0 };
  /** No answer to a login request: it is sent again (a front that lost it, or request flow control). */
  private loginTimer: NodeJS.Timeout | null = null;

  constructor(private readonly ctx: GatewayContext<GatewayConfig>, private readonly opts: GatewayOptions) {
    this.cfg = ctx.config;
    this.converter = new DepthConverter(ctx.calendar, ctx.id, this.cfg.flavour);
  }

  async start(): Promise<void> {
    const { ctx, cfg } = this;
    // The library treats the flow path as a prefix and crashes when its folder is missing (spec §7.2).
    const flow = cfg.flow_dir ?? path.join(ctx.dataDir, 'flow');
    try {
      fs.mkdirSync(flow, { recursive: true, mode: 0o700 });
      fs.accessSync(flow, fs.constants.W_OK);
    } catch (err) {
      throw new CtpError('MDH_ERR_CTP_FLOW_DIR', { flow_dir: flow, reason: (err as Error).message });
    }
    const version = apiVersion(cfg.library, cfg.flavour); // a wrong file, library or flavour is a named error here

    // What to subscribe: the reference file (or the product table's futures), then the patterns.
    const now = ctx.clock.now();
    const tradingDay = ctx.calendar.tradingDayAt('commodity_night_0230', now) ?? ctx.calendar.tradingDayOnOrAfter(shanghaiDate(now));
    const reference = cfg.reference_file ? readReferenceFile(cfg.reference_file) : null;
    const u = resolveUniverse({ instruments: cfg.instruments, exchanges: this.opts.exchanges, reference, tradingDay });
    // The vendor's InstrumentID field: 81 bytes on CTP, 31 on SOPT (NUL included). Longer ids cannot be subscribed.
    const maxId = cfg.flavour === 'sopt' ? 30 : 80;
    const tooLong = u.list.filter((r) => Buffer.byteLength(r.symbol) > maxId);
    if (tooLong.length > 0) {
      ctx.log('warn', `instrument ids longer than ${maxId} bytes cannot be subscribed; left out`, { count: tooLong.length, first: tooLong.slice(0, 5).map((r) => r.symbol) });
      u.list = u.list.filter((r) => Buffer.byteLength(r.symbol) <= maxId);
    }
    if (u.list.length === 0) {
      throw new CtpError('MDH_ERR_CTP_NO_INSTRUMENTS', {
        instruments: cfg.instruments, reference_file: cfg.reference_file ?? null, exchanges: this.opts.exchanges,
        reason: reference ? 'no row of the reference file matches' : 'without a reference file only futures of the product table are known',
      });
    }
    this.list = u.list;
    this.templates = [...new Set(u.list.map((r) => templateOf(r.symbol, r.exchange, r.underlying ?? r.product)))];
    this.converter.setInstruments(u.list);
    ctx.instruments(u.list);
    ctx.log('info', 'instruments resolved', {
      instruments: u.list.length, from: u.source, trading_day: tradingDay, expired_skipped: u.expired, duplicates_skipped: u.duplicates, other_exchanges_skipped: u.outside,
    });
    ctx.report({ api_version: version, flavour: cfg.flavour, library: cfg.library, fronts: cfg.fronts, instruments: u.list.length, simulated: cfg.simulated });
    ctx.setState('connecting');
    this.session = openSession({
      library: cfg.library, flavour: cfg.flavour, flowPath: `${flow}/`, productionMode: cfg.production_mode, queueCapacity: cfg.queue_capacity,
      onEvents: (evs) => this.onEvents(evs),
    });
    for (const f of cfg.fronts) this.session.registerFront(f);
    this.session.init();
    ctx.log('info', 'vendor API started', { api_version: version, flavour: cfg.flavour, fronts: cfg.fronts });
    this.armConnectTimer();
    this.watchdog = setInterval(() => this.watch(), 1000);
  }

  private onEvents(evs: VendorEvent[]): void {
    if (this.stopped || this.failed) return; // a refused login: nothing more until the process ends
    let ticks: MarketTick[] | null = null;
    let recvNs: number[] | null = null;
    // The binding stamps each callback with CLOCK_MONOTONIC: localtime is when the vendor delivered it.
    const mono = monoNs();
    const clockNow = this.ctx.clock.now();
    const rate = this.ctx.clock.rate;
    for (const e of evs) {
      // One event that throws (a bug, malformed vendor data) is counted and logged; the others go on.
      try {
        if (e.t === 'depth') {
          const t = this.converter.convert(e, clockNow - ((mono - e.recv_ns) / 1e6) * rate);
          if (typeof t !== 'string') {
            (ticks ??= []).push(t);
            (recvNs ??= []).push(e.recv_ns);
          }
          continue;
        }
        this.onControlEvent(e);
      } catch (err) {
        const n = ++this.counters.event_errors;
        if (n <= 5 || (n & (n - 1)) === 0) this.ctx.log('error', 'a vendor event could not be handled', { event: e.t, error: String((err as Error)?.message ?? err), errors: n });
      }
    }
    if (ticks) {
      this.ctx.emit(ticks);
      // Vendor callback → handed to the link, per tick (the queue, the wake-up of this thread, the conversion).
      const done = monoNs();
      for (const ns of recvNs!) this.latency.record((done - ns) / 1000);
    }
  }

  private onControlEvent(e: Exclude<VendorEvent, { t: 'depth' }>): void {
    const { ctx } = this;
    switch (e.t) {
      case 'connected':
        this.epoch++;
        this.counters.connects++;
        this.phase = 'none';
        this.clearConnectTimer();
        ctx.setState('connected');
        this.login();
        break;
      case 'disconnected': {
        this.epoch++;
        this.counters.disconnects++;
        this.phase = 'none';
        const reason = disconnectReason(e.reason);
        ctx.setState('disconnected', reason);
        ctx.report({ last_disconnect: { reason: e.reason, text: reason, at: Date.now() }, disconnects: this.counters.disconnects });
        // Every disconnect is logged up to 8 times, then every power of two (a front flapping cannot flood the log).
        const n = this.counters.disconnects;
        if (n <= 8 || (n & (n - 1)) === 0) ctx.log('warn', 'front disconnected', { reason: e.reason, text: reason, disconnects: n });
        this.armConnectTimer();
        break;
      }
      case 'heartbeat_warning':
        this.counters.heartbeat_warnings++;
        ctx.log('warn', `heartbeat warning: nothing received from the front for ${e.seconds} s`, { seconds: e.seconds });
        ctx.report({ last_heartbeat_warning: { seconds: e.seconds, at: Date.now() }, heartbeat_warnings: this.counters.heartbeat_warnings });
        break;
      case 'login':
        this.onLogin(e);
        break;
      case 'sub':
        if (e.errorId === 0) this.acks++;
        else {
          this.subErrors++;
          if (this.subErrors <= 5) ctx.log('warn', 'subscription refused', { instrument: e.instrument, error_id: e.errorId, error: e.errorMsg });
        }
        if (this.acks + this.subErrors >= this.list.length) this.onSubscribedAll();
        break;
      case 'unsub':
        break;
      case 'error':
        this.counters.vendor_errors++;
        ctx.log('warn', 'vendor error response', { error_id: e.errorId, error: e.errorMsg, request_id: e.requestId });
        break;
    }
  }

  private login(): void {
    const { cfg } = this;
    if (!this.session || this.stopped || this.failed) return;
    const epoch = this.epoch;
    const r = this.session.login(cfg.broker_id, cfg.user_id, cfg.password, ++this.reqId);
    if (r !== 0) this.ctx.log('warn', 'login request not sent', { code: r });
    if (r === -1) return; // not connected: the next connect logs in
    // Flow control (-2/-3) or a request the front never answers: sent again, while this connection lasts.
    const again = r === 0 ? this.cfg.watchdog.connect_ms : 1000;
    this.clearLoginTimer();
    this.loginTimer = setTimeout(() => {
      this.loginTimer = null;
      if (this.stopped || this.failed || epoch !== this.epoch || this.phase !== 'none') return;
      if (r === 0) {
        this.counters.login_timeouts++;
        this.ctx.log('warn', `no answer to the login for ${Math.round(again / 1000)} s; sending it again`, { login_timeouts: this.counters.login_timeouts });
      }
      this.login();
    }, again);
    this.loginTimer.unref();
  }

  private clearLoginTimer(): void {
    if (this.loginTimer) clearTimeout(this.loginTimer);
    this.loginTimer = null;
  }

  private onLogin(e: Extract<VendorEvent, { t: 'login' }>): void {
    const { ctx } = this;
    if (e.errorId !== 0) {
      const details = { error_id: e.errorId, error: e.errorMsg, broker_id: this.cfg.broker_id, user_id: this.cfg.user_id };
      if (TRANSIENT_LOGIN_ERRORS.has(e.errorId) && this.loginRetries < MAX_LOGIN_RETRIES) {
        this.loginRetries++;
        this.clearLoginTimer();
        ctx.log('warn', `login refused for now (${e.errorMsg}); trying again in ${LOGIN_RETRY_MS / 1000} s`, details);
        const epoch = this.epoch;
        setTimeout(() => { if (!this.stopped && epoch === this.epoch) this.login(); }, LOGIN_RETRY_MS).unref();
        return;
      }
      // Final: no retry that could get the account locked. The state says why; the process ends.
      this.failed = true;
      this.clearLoginTimer();
      ctx.setState('disconnected', `login refused: ${e.errorMsg} (error ${e.errorId})`);
      ctx.fail(new PluginError('MDH_ERR_GATEWAY_LOGIN_FAILED', details));
      return;
    }
    this.clearLoginTimer();
    this.loginRetries = 0;
    this.phase = 'logged_in';
    this.counters.logins++;
    const vendorDay = this.session?.tradingDay() ?? '';
    ctx.setState('logged_in');
    ctx.report({ trading_day: e.tradingDay || vendorDay, login_time: e.loginTime, front_id: e.frontId, session_id: e.sessionId, logins: this.counters.logins });
    ctx.log('info', 'logged in', { trading_day: e.tradingDay, login_time: e.loginTime, system: e.systemName, logins: this.counters.logins });
    this.subscribeAll(this.epoch).catch((err: unknown) => {
      this.ctx.log('error', 'subscribing failed', { error: String((err as Error)?.message ?? err), code: (err as { code?: unknown }).code });
      this.ctx.unhealthy(`subscribing failed: ${String((err as Error)?.message ?? err)}`);
    });
  }

  /** Subscribes every instrument in batches; a new connection or a stop ends an earlier run. */
  private async subscribeAll(epoch: number): Promise<void> {
    const { batch_size: size } = this.cfg.subscribe;
    let interval = this.cfg.subscribe.interval_ms;
    this.subscribedSent = 0;
    this.acks = 0;
    this.subErrors = 0;
    const ids = this.list.map((r) => r.symbol);
    const t0 = performance.now();
    for (let i = 0; i < ids.length;) {
      if (this.stopped || epoch !== this.epoch || !this.session) return;
      const batch = ids.slice(i, i + size);
      const r = this.session.subscribe(batch);
      if (r === 0) {
        i += batch.length;
        this.subscribedSent = i;
        interval = this.cfg.subscribe.interval_ms;
      } else if (r === -2 || r === -3) {
        // Vendor flow control (too many requests in flight / per second): wait longer, send the batch again.
        this.counters.flow_control_waits++;
        interval = Math.min(Math.max(interval * 2, 50), 2_000);
      } else return; // -1: not connected; the next login subscribes again
      if (i < ids.length && interval > 0) await sleep(interval);
    }
    this.ctx.log('info', 'subscription requests sent', { instruments: ids.length, batches: Math.ceil(ids.length / size), ms: Math.round(performance.now() - t0) });
    // Fronts answer every instrument; if some answers never come, subscribed is declared 3 s later anyway.
    setTimeout(() => { if (epoch === this.epoch) this.onSubscribedAll(true); }, 3000).unref();
    if (this.acks + this.subErrors >= ids.length) this.onSubscribedAll();
  }

  private onSubscribedAll(timedOut = false): void {
    if (this.stopped || this.phase !== 'logged_in' || this.subscribedSent < this.list.length) return;
    this.phase = 'subscribed';
    const unanswered = this.list.length - this.acks - this.subErrors;
    if (timedOut && unanswered > 0) this.ctx.log('warn', 'some subscriptions were never answered; subscribed anyway 3 s after the last request', { unanswered, accepted: this.acks, refused: this.subErrors });
    this.ctx.setState('subscribed', this.counters.logins > 1 ? `logged in again and re-subscribed ${this.list.length} instruments` : undefined);
    this.ctx.report({ subscribed: this.acks, subscribe_refused: this.subErrors });
    if (this.subErrors > 0) this.ctx.log('warn', 'some subscriptions were refused', { refused: this.subErrors, accepted: this.acks });
  }

  private armConnectTimer(): void {
    this.clearConnectTimer();
    this.connectTimer = setTimeout(() => {
      this.connectTimer = null;
      if (this.stopped) return;
      const msg = `no connection to ${this.cfg.fronts.join(', ')} for ${Math.round(this.cfg.watchdog.connect_ms / 1000)} s; the library keeps trying`;
      this.ctx.setState('disconnected', msg);
      this.ctx.log('warn', msg, { code: 'MDH_ERR_GATEWAY_CONNECT_FAILED', fronts: this.cfg.fronts });
      this.armConnectTimer();
    }, this.cfg.watchdog.connect_ms);
    this.connectTimer.unref();
  }

  private clearConnectTimer(): void {
    if (this.connectTimer) clearTimeout(this.connectTimer);
    this.connectTimer = null;
  }

  /** Whether any subscribed product is inside an open session now (the silence rule applies only then). */
  private inSession(): boolean {
    const now = this.ctx.clock.now();
    return this.templates.some((t) => this.ctx.calendar.isInSession(t, now));
  }

  /**
   * The native watchdog (Decisions): a vendor callback that does not return within callback_ms, or no
   * vendor event for silence_ms while subscribed inside an open session: the supervisor hard-restarts.
   */
  private watch(): void {
    const s = this.session;
    if (!s || this.stopped || this.unhealthySent) return;
    const st = s.stats();
    let reason: string | null = null;
    if (st.inCallbackMs > this.cfg.watchdog.callback_ms) reason = `a vendor callback has not returned for ${Math.round(st.inCallbackMs)} ms`;
    else if (this.phase === 'subscribed' && st.sinceLastEventMs > this.cfg.watchdog.silence_ms && this.inSession()) {
      reason = `no event from the vendor library for ${Math.round(st.sinceLastEventMs / 1000)} s while subscribed inside an open session`;
    }
    if (reason) {
      this.unhealthySent = true;
      this.ctx.log('error', `watchdog: ${reason}; asking for a hard restart`, { stats: st });
      this.ctx.unhealthy(reason);
    }
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.epoch++;
    this.clearConnectTimer();
    this.clearLoginTimer();
    if (this.watchdog) clearInterval(this.watchdog);
    const s = this.session;
    this.session = null;
    if (!this.failed) this.ctx.setState('stopped');
    // RegisterSpi(null) + Release() run off the JS thread; a library that hangs there is left to the process exit.
    if (s) await Promise.race([s.release(), sleep(3000)]);
  }

  control(cmd: { op: string; [k: string]: unknown }): unknown {
    switch (cmd.op) {
      case 'stats':
        return {
          binding: this.session?.stats() ?? null, converted: this.converter.converted, dropped: { ...this.converter.dropped },
          callback_to_link_us: this.latency.summary(),
          instruments: this.list.length, subscribe_sent: this.subscribedSent, subscribe_acks: this.acks, subscribe_refused: this.subErrors, ...this.counters,
        };
      case 'instruments':
        return this.list.map((r) => `${r.symbol}.${r.exchange}`);
      case 'reset-latency':
        this.latency.reset();
        return { ok: true };
      case 'test-hold-queue':
        // Tests only: the binding's queue lock is held by another thread, so vendor callbacks block in the binding.
        this.session?.testHoldQueue(Math.min(60_000, Math.max(0, Number(cmd['ms']) || 0)));
        return { ok: true };
      default:
        throw new Error(`unknown command ${cmd.op}: stats, instruments, reset-latency, test-hold-queue`);
    }
  }
}

/** A log-bucketed histogram (8 buckets per power of two: within ~9 %), cheap enough for every tick. */
export class LogHistogram {
  private counts = new Float64Array(8 * 40);
  private n = 0;
  private max = 0;

  record(v: number): void {
    const i = v <= 1 ? 0 : Math.min(this.counts.length - 1, Math.floor(Math.log2(v) * 8));
    this.counts[i]!++;
    this.n++;
    if (v > this.max) this.max = v;
  }

  /** The value below which a fraction q of the records fall (the bucket's upper bound). */
  quantile(q: number): number {
    if (this.n === 0) return 0;
    let seen = 0;
    const want = q * this.n;
    for (let i = 0; i < this.counts.length; i++) {
      seen += this.counts[i]!;
      if (seen >= want) return Math.min(this.max, 2 ** ((i + 1) / 8));
    }
    return this.max;
  }

  summary(): { count: number; p50: number; p99: number; max: number } {
    const r = (x: number): number => Math.round(x * 10) / 10;
    return { count: this.n, p50: r(this.quantile(0.5)), p99: r(this.quantile(0.99)), max: r(this.max) };
  }

  reset(): void {
    this.counts.fill(0);
    this.n = 0;
    this.max = 0;
  }
}
