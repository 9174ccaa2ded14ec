/**
 * Operations alerts that come from the trading calendar, while a hub runs:
 * - `calendar_ending` (warning): the calendar data in force ends in N days (from 30 days before its end,
 *   and after it ended). Checked at start and then every `checkEveryMs` (default hourly), on the
 *   freshest calendar (a `mdhub calendar import` made while the hub runs counts), and raised at most once
 *   per Asia/Shanghai day: the day's first check that finds it raises it.
 * - `hub_outside_schedule` (warning): the hub started while no session is open or opens within an hour
 *   (nor closed less than 30 min ago), or it is stopping while a session is open. A plain `mdhub start`
 *   for maintenance still runs; the alert only informs. Simulated hubs (shifted clock) never raise it.
 * No I/O of its own: the calendar loader, clock and alert hook are injected (tests inject all three).
 */
import type { TradingCalendar } from '../market/calendar.js';
import { inSchedule, nextWindow, shanghaiLabel, windowAt } from '../market/schedule.js';
import { shanghaiDate } from '../market/time.js';
import type { AlertEvent } from './source-health.js';

/** Default interval of the calendar-data check: hourly, so a day's alert comes within an hour of midnight. */
export const CALENDAR_CHECK_MS = 3_600_000;

export interface CalendarWatchOptions {
  /** The calendar in force (shipped data plus stored overrides), read fresh at each check. */
  calendar(): Promise<TradingCalendar>;
  /** Market time now, epoch ms (the hub's clock). */
  now(): number;
  /** True on a simulated hub: no schedule alerts. */
  simulated: boolean;
  alert(a: AlertEvent): void;
  /** Logs a check that failed (a database that is down keeps the last calendar). */
  warn(msg: string, details: Record<string, unknown>): void;
  checkEveryMs?: number;
}

export class CalendarWatch {
  private timer: NodeJS.Timeout | null = null;
  private alertedDay: string | null = null;
  private last: TradingCalendar | null = null;
  private running: Promise<void> | null = null;

  constructor(private readonly o: CalendarWatchOptions) {}

  /** Checks now, then every `checkEveryMs`. */
  start(): void {
    void this.check();
    this.timer = setInterval(() => void this.check(), this.o.checkEveryMs ?? CALENDAR_CHECK_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** One check of the calendar data's end (one at a time; resolves when done). */
  check(): Promise<void> {
    this.running ??= this.checkOnce().finally(() => { this.running = null; });
    return this.running;
  }

  private async checkOnce(): Promise<void> {
    let calendar: TradingCalendar;
    try {
      calendar = await this.o.calendar();
      this.last = calendar;
    } catch (err) {
      this.o.warn('the calendar in force could not be read: the last one read is checked', { error: String(err) });
      if (!this.last) return;
      calendar = this.last;
    }
    const now = this.o.now();
    const w = calendar.dataExpiryWarning(now);
    const today = shanghaiDate(now);
    if (!w || this.alertedDay === today) return;
    this.alertedDay = today;
    const when = w.daysLeft > 0 ? `ends in ${w.daysLeft} days` : w.daysLeft === 0 ? 'ends today' : `ended ${-w.daysLeft} days ago`;
    this.o.alert({
      severity: 'warning', alert: 'calendar_ending', code: 'MDH_ERR_CALENDAR_DATA_ENDING',
      message: `trading-calendar data ${when} (${w.endsOn}): past it, weekdays count as trading days; import the next year's holidays with mdhub calendar import FILE (docs/operations.md#calendar-updates)`,
    });
  }

  /** Called once the hub runs: alerts when it started outside its schedule. */
  async hubStarted(): Promise<void> {
    if (this.o.simulated) return;
    const calendar = this.last ?? await this.o.calendar().catch(() => null);
    if (!calendar) return;
    const now = this.o.now();
    if (inSchedule(calendar, now)) return;
    const next = nextWindow(calendar, now);
    this.o.alert({
      severity: 'warning', alert: 'hub_outside_schedule',
      message: `the hub started at ${shanghaiLabel(now)} Asia/Shanghai, outside its schedule: no session is open or opens within an hour (the next opens ${shanghaiLabel(next.open)}, ${next.part}, trading day ${next.tradingDay}); fine for maintenance`,
    });
  }

  /** Called first when the hub stops: alerts when a session is open. */
  hubStopping(): void {
    if (this.o.simulated || !this.last) return;
    const now = this.o.now();
    const w = windowAt(this.last, now);
    if (!w) return;
    this.o.alert({
      severity: 'warning', alert: 'hub_outside_schedule',
      message: `the hub is stopping at ${shanghaiLabel(now)} Asia/Shanghai inside the ${w.part} session of trading day ${w.tradingDay} (it closes ${shanghaiLabel(w.close)})`,
    });
  }
}
