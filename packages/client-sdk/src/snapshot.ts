import * as zmq from 'zeromq';
import type { Tick } from '@mdhub/protocol';
import { FLOAT_FIELDS, decodeEvent, encodeEvent } from '@mdhub/protocol';
import { ClientError } from './errors.js';
import type { SnapshotData } from './router.js';

/** An instrument's data state as the hub judges it: can the last state you hold be trusted? */
export type InstrumentDataState = 'ok' | 'stale' | 'suspect';

/** Reference data of one instrument (snapshot service `instruments`); market fields are null before a first state. */
export interface InstrumentInfo {
  vt_symbol: string;
  symbol: string;
  exchange: string;
  name: string;
  product: string;
  kind: string;
  multiplier: number | null;
  price_tick: number | null;
  session: string | null;
  expiry: string | null;
  limit_up: number | null;
  limit_down: number | null;
  pre_settlement: number | null;
  trading_day: string | null;
  underlying?: string;
  option_type?: string;
  strike?: number;
  [key: string]: unknown;
}

const INT_FIELDS = ['datetime', 'localtime', 'seq', 'iseq', 'gw_recv_ts', 'hub_recv_ts', 'hub_pub_ts'] as const;
const STR_FIELDS = ['symbol', 'exchange', 'trading_day', 'name', 'gateway_name', 'source', 'run_id'] as const;

/** Validates one tick of a snapshot reply (decoded generically), as decodeTick validates a live one. */
function checkTick(obj: unknown): Tick {
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) throw badReply('a tick is not a map');
  const t = obj as Record<string, unknown>;
  for (const f of STR_FIELDS) if (typeof t[f] !== 'string') throw badReply(`tick field ${f} is not a string`);
  for (const f of INT_FIELDS) if (!Number.isInteger(t[f])) throw badReply(`tick field ${f} is not an integer`);
  for (const f of FLOAT_FIELDS) if (typeof t[f] !== 'number') throw badReply(`tick field ${f} is not a number`);
  return t as unknown as Tick;
}

function badReply(reason: string): ClientError {
  return new ClientError('MDH_ERR_CLIENT_SNAPSHOT_BAD_REPLY', { reason });
}

/** Validates a `last` reply. */
export function parseLastReply(m: Record<string, unknown>): SnapshotData {
  if (typeof m['run_id'] !== 'string') throw badReply('run_id is not a string');
  if (!Number.isInteger(m['seq'])) throw badReply('seq is not an integer');
  if (!Array.isArray(m['ticks'])) throw badReply('ticks is not a list');
  const states: Record<string, string> = {};
  const rawStates = m['states'];
  if (rawStates !== undefined && rawStates !== null) {
    if (typeof rawStates !== 'object' || Array.isArray(rawStates)) throw badReply('states is not a map');
    for (const [k, v] of Object.entries(rawStates as Record<string, unknown>)) if (typeof v === 'string') states[k] = v;
  }
  const unknown = Array.isArray(m['unknown']) ? (m['unknown'] as unknown[]).filter((x): x is string => typeof x === 'string') : [];
  return { run_id: m['run_id'], seq: m['seq'] as number, ticks: (m['ticks'] as unknown[]).map(checkTick), states, unknown };
}

interface Waiter {
  resolve: (m: Record<string, unknown>) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

/**
 * The hub's snapshot service over a DEALER socket: one request frame, one reply frame, matched by `id`,
 * so a lost reply (a hub that died mid-request) never locks the socket: the request times out and the
 * next one goes out. ZMQ_IMMEDIATE keeps requests off a connection that is not up.
 */
export class SnapshotService {
  private readonly sock: zmq.Dealer;
  private readonly waiting = new Map<number, Waiter>();
  private nextId = 1;
  private sending: Promise<void> = Promise.resolve();
  private closed = false;
  private readonly loop: Promise<void>;
  /** Requests sent, replies that came after their request timed out. */
  requests = 0;
  lateReplies = 0;

  constructor(readonly endpoint: string, private readonly timeoutMs: number) {
    this.sock = new zmq.Dealer({ linger: 0, immediate: true, sendTimeout: timeoutMs, reconnectInterval: 100, reconnectMaxInterval: 2000 });
    this.sock.connect(endpoint);
    this.loop = this.receive();
  }

  /** `last`: the hub's latest state of these instruments (all without a list). */
  async last(instruments?: readonly string[]): Promise<SnapshotData> {
    return parseLastReply(await this.request(instruments === undefined ? { op: 'last' } : { op: 'last', instruments: [...instruments] }));
  }

  /** `instruments`: reference data of every instrument the hub knows. */
  async instruments(): Promise<InstrumentInfo[]> {
    const m = await this.request({ op: 'instruments' });
    if (!Array.isArray(m['instruments'])) throw badReply('instruments is not a list');
    return m['instruments'] as InstrumentInfo[];
  }

  /** One request; rejects with MDH_ERR_CLIENT_SNAPSHOT_TIMEOUT, _REFUSED or _BAD_REPLY. */
  request(body: Record<string, unknown>): Promise<Record<string, unknown>> {
    if (this.closed) return Promise.reject(new ClientError('MDH_ERR_CLIENT_CLOSED'));
    const id = this.nextId++;
    const frame = encodeEvent({ ...body, id });
    return new Promise<Record<string, unknown>>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new ClientError('MDH_ERR_CLIENT_SNAPSHOT_TIMEOUT', { endpoint: this.endpoint, op: body['op'], timeout_ms: this.timeoutMs }));
      }, this.timeoutMs);
      this.waiting.set(id, { resolve, reject, timer });
      this.requests++;
      // zeromq.js refuses a second send while one is in progress: sends go one after the other.
      this.sending = this.sending.then(() => this.sock.send(frame)).catch(() => { /* timed out unsent: the timer answers */ });
    });
  }

  private async receive(): Promise<void> {
    try {
      for await (const frames of this.sock) {
        const payload = frames[frames.length - 1];
        if (payload === undefined) continue;
        let m: Record<string, unknown>;
        try {
          m = decodeEvent<Record<string, unknown>>(payload);
        } catch {
          continue; // not ours to understand; the request times out
        }
        const id = m['id'];
        const w = typeof id === 'number' ? this.waiting.get(id) : undefined;
        if (w === undefined) {
          this.lateReplies++;
          continue;
        }
        this.waiting.delete(id as number);
        clearTimeout(w.timer);
        if (m['ok'] !== true) w.reject(new ClientError('MDH_ERR_CLIENT_SNAPSHOT_REFUSED', { endpoint: this.endpoint, error: m['error'], reason: typeof m['message'] === 'string' ? m['message'] : undefined }));
        else w.resolve(m);
      }
    } catch {
      /* closed */
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const w of this.waiting.values()) {
      clearTimeout(w.timer);
      w.reject(new ClientError('MDH_ERR_CLIENT_CLOSED'));
    }
    this.waiting.clear();
    this.sock.close();
    void this.loop;
  }
}
