/**
 * Market clocks. The system clock is wall time; a simulated clock is anchored to a market instant at a
 * monotonic reference (process.hrtime.bigint(), i.e. CLOCK_MONOTONIC on Linux, shared by every process
 * on the host), so any process given the same ClockParams computes the same market time.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { TradingCalendar } from './calendar.js';
import { atShanghai, shanghaiDate } from './time.js';
import type { Clock, ClockParams, SessionTemplateId } from './types.js';

function monoNow(): bigint {
  return process.hrtime.bigint();
}

/** Real time: now() = Date.now(), not simulated, rate 1. */
export function systemClock(): Clock {
  return {
    now: () => Date.now(),
    monoNs: () => Number(monoNow()),
    simulated: false,
    rate: 1,
    toJSON: () => ({ simulated: false, anchorMs: Date.now(), monoRefNs: Number(monoNow()), rate: 1 }),
  };
}

/** Options of {@link simulatedClock}. */
export interface SimulatedClockOptions {
  /** Market epoch ms at `monoRefNs`. */
  anchorMs: number;
  /** Market ms per real ms (default 1). Must be > 0. */
  rate?: number;
  /** process.hrtime.bigint() value (as a number) at which market time is `anchorMs`; default: now. */
  monoRefNs?: number;
}

function anchoredClock(p: ClockParams): Clock {
  if (!(p.rate > 0) || !Number.isFinite(p.rate)) throw new RangeError(`clock rate must be > 0, got ${p.rate}`);
  if (!Number.isFinite(p.anchorMs) || !Number.isFinite(p.monoRefNs)) throw new RangeError('clock anchor must be finite');
  const ref = BigInt(Math.round(p.monoRefNs));
  const params: ClockParams = { simulated: p.simulated, anchorMs: p.anchorMs, monoRefNs: Number(ref), rate: p.rate };
  return {
    now: () => p.anchorMs + (Number(monoNow() - ref) / 1e6) * p.rate,
    monoNs: () => Number(monoNow()),
    simulated: p.simulated,
    rate: p.rate,
    toJSON: () => ({ ...params }),
  };
}

/**
 * A shifted (and optionally sped-up) market clock:
 * now() = anchorMs + (hrtime − monoRefNs) / 1e6 × rate. simulated = true. now() returns fractional ms.
 */
export function simulatedClock(opts: SimulatedClockOptions): Clock {
  return anchoredClock({
    simulated: true,
    anchorMs: opts.anchorMs,
    rate: opts.rate ?? 1,
    monoRefNs: opts.monoRefNs ?? Number(monoNow()),
  });
}

/**
 * Rebuilds a clock from {@link Clock.toJSON} output (e.g. in a child process). Non-simulated params at
 * rate 1 give {@link systemClock}; anything else an anchored clock with the given `simulated` flag.
 */
export function clockFromParams(p: ClockParams): Clock {
  if (!p.simulated && p.rate === 1) return systemClock();
  return anchoredClock(p);
}

/**
 * Default anchor of a simulated hub: `timeOfDay` ('HH:MM:SS', default 09:35:00, when commodity futures,
 * CFFEX futures and ETF options all trade) on the most recent trading day — the Shanghai date of
 * `realNowMs` when it is a trading day, else the trading day before it.
 */
export function defaultSimAnchor(calendar: TradingCalendar, realNowMs: number, timeOfDay = '09:35:00'): number {
  return atShanghai(calendar.tradingDayOnOrBefore(shanghaiDate(realNowMs)), timeOfDay);
}

/**
 * Resolves after `marketMs` of market time, i.e. marketMs / clock.rate real ms (at least 0).
 * Rejects with an AbortError when `signal` aborts.
 */
export async function marketSleep(clock: Clock, marketMs: number, signal?: AbortSignal): Promise<void> {
  const realMs = Math.max(0, marketMs / clock.rate);
  await delay(realMs, undefined, signal === undefined ? undefined : { signal });
}

/**
 * Where a simulated hub resumes its market after a restart: the last market time it ran when that is
 * inside a session of `template`, else the next session open after it (forward, never back), so a
 * restarted demo continues its market instead of replaying the same minutes.
 */
export function resumeSimAnchor(calendar: TradingCalendar, lastMarketMs: number, template: SessionTemplateId = 'commodity_day'): number {
  if (calendar.isInSession(template, lastMarketMs)) return lastMarketMs;
  let day = calendar.tradingDayOnOrAfter(shanghaiDate(lastMarketMs));
  for (let i = 0; i < 30; i++) {
    const next = calendar.segments(template, day).map((s) => s.start).filter((t) => t > lastMarketMs).sort((a, b) => a - b)[0];
    if (next !== undefined) return next;
    day = calendar.nextTradingDay(day);
  }
  return lastMarketMs;
}
