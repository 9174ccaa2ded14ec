/**
 * Email alerts over SMTP (nodemailer): listens to the alert hook, groups alerts into incidents
 * (alert-incidents.ts) and sends one email when an incident opens and one follow-up when it closes.
 *
 * De-duplication across hubs sharing one database: an incident is claimed by inserting its key into
 * the `alert_incidents` table (insert-if-absent on every backend); the hub whose insert wins sends,
 * the others join the incident silently. A key is `<what>#<n>`: the n-th incident of that fault, so a
 * fault that comes back after its recovery is a new incident. The recovery is claimed the same way
 * (`<key>/closed`), so it is mailed once too.
 *
 * When the database cannot be reached (the `db_unreachable` incident itself, or a claim that fails or
 * takes longer than {@link STORE_TIMEOUT_MS}), the hubs cannot agree: this hub then sends directly,
 * de-duplicated in this process only, and the email says so.
 *
 * Sending never blocks or crashes the hub: the work runs on a promise chain off the alert hook's call,
 * every failure is logged with its code (MDH_ERR_ALERT_*) and counted (mdhub_alert_emails_total).
 */
import os from 'node:os';
import { createTransport } from 'nodemailer';
import type { Transporter } from 'nodemailer';
import { AlertSettingsSchema } from '../service/config-service.js';
import type { AlertSettingsValue } from '../service/config-service.js';
import type { AlertIncidentRecord } from '../store/schema.js';
import type { AlertHook } from './alerts.js';
import {
  GENERIC_EXPIRY_MS, SEVERITY_RANK, classify, formatTime, incidentEmail, recoveryEmail, summaryEmail,
} from './alert-incidents.js';
import type { AlertRecord, Email, Severity, SummaryIncident, Suppressed } from './alert-incidents.js';

/** Where incidents are claimed: the configuration service (its alert-incident methods). */
export interface IncidentStore {
  claimIncident(row: AlertIncidentRecord): Promise<boolean>;
  incident(key: string): Promise<AlertIncidentRecord | undefined>;
  incidents(): Promise<AlertIncidentRecord[]>;
  updateIncident(row: AlertIncidentRecord): Promise<void>;
}

export interface AlertLog {
  info(area: string, msg: string, details?: Record<string, unknown>): void;
  warn(area: string, msg: string, details?: Record<string, unknown>, code?: string): void;
  error(area: string, msg: string, details?: Record<string, unknown>, code?: string): void;
}

export interface EmailAlertsOptions {
  hubId: string;
  store: IncidentStore;
  log: AlertLog;
  /** Read for MDHUB_SMTP_PASSWORD (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Wall clock, epoch ms (tests move it). */
  now?: () => number;
  /** The host name shown in emails (default os.hostname()). */
  host?: string;
  /** How often the daily-summary time is checked, ms (default 30 s). */
  summaryCheckMs?: number;
}

/** A database call that takes longer than this counts as the database being unreachable. */
export const STORE_TIMEOUT_MS = 5000;
/** A rolling hour, for the rate limit. */
const HOUR_MS = 3600_000;
const DIRECT_NOTE = 'Sent directly by this hub: the configuration database could not be reached to de-duplicate this alert across hubs, so every hub sharing it may send its own copy.';

export type EmailResult = 'sent' | 'failed' | 'rate_limited';

interface OpenIncident {
  base: string;
  title: string;
  expires: boolean;
  alert: AlertRecord;
  /** The claimed (or joined) row; null until the claim ran, or when it could not. */
  row: AlertIncidentRecord | null;
  /** Sent without the database (no claim). */
  direct: boolean;
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer from the database in ${ms} ms`)), ms);
      timer.unref();
    }),
  ]).finally(() => clearTimeout(timer));
}

export class EmailAlerts {
  private settings: AlertSettingsValue = AlertSettingsSchema.parse({});
  private transport: Transporter | null = null;
  private readonly open = new Map<string, OpenIncident>();
  /** The incident number last seen per fault (a fresh process reads it from the table once). */
  private readonly gen = new Map<string, number>();
  private chain: Promise<void> = Promise.resolve();
  private sentAt: number[] = [];
  private suppressed: Suppressed = {};
  private limitedLogged = 0;
  private lastSummaryDay: string | null = null;
  private timer: NodeJS.Timeout | null = null;
  private unsubscribe: (() => void) | null = null;
  private readonly now: () => number;
  private readonly host: string;
  /** Emails by result since start (mdhub_alert_emails_total). */
  readonly counts: Record<EmailResult, number> = { sent: 0, failed: 0, rate_limited: 0 };

  constructor(private readonly o: EmailAlertsOptions) {
    this.now = o.now ?? Date.now;
    this.host = o.host ?? os.hostname();
  }

  /** Listens to the hub's alerts. */
  attach(hook: AlertHook): void {
    this.unsubscribe?.();
    this.unsubscribe = hook.on((a) => this.onAlert(a));
  }

  /** Applies the `alerts` setting (at start and on every change); absent: off. */
  configure(value: AlertSettingsValue | undefined): void {
    const s = value ?? AlertSettingsSchema.parse({});
    this.settings = s;
    this.transport?.close();
    this.transport = null;
    if (!s.enabled || !s.smtp) return;
    const pass = (this.o.env ?? process.env)['MDHUB_SMTP_PASSWORD'];
    if (s.smtp.user && !pass) this.o.log.error('alerts', 'alerts.smtp.user is set but MDHUB_SMTP_PASSWORD is not: the SMTP login will be refused', { user: s.smtp.user }, 'MDH_ERR_ALERT_SMTP_PASSWORD_MISSING');
    this.transport = createTransport({
      host: s.smtp.host, port: s.smtp.port, secure: s.smtp.secure,
      ...(s.smtp.user ? { auth: { user: s.smtp.user, pass: pass ?? '' } } : {}),
      // A stuck server must not hold the queue for minutes (nodemailer's defaults are 2 and 10 min).
      connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000,
    });
    this.o.log.info('alerts', `email alerts on: ${s.to.join(', ')} via ${s.smtp.host}:${s.smtp.port}`, { min_severity: s.minSeverity, max_per_hour: s.maxPerHour, daily_summary: s.dailySummary ?? null });
  }

  /** Starts the daily-summary check (a summary time already past today waits for tomorrow). */
  start(): void {
    this.lastSummaryDay = this.summaryDue() ? formatTime(this.now()).slice(0, 10) : null;
    this.timer = setInterval(() => this.checkSummary(), this.o.summaryCheckMs ?? 30_000);
    this.timer.unref();
  }

  /** Stops listening; waits up to `timeoutMs` for emails under way. */
  async stop(timeoutMs = 5000): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = null;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    let t: NodeJS.Timeout | undefined;
    await Promise.race([this.chain, new Promise<void>((r) => { t = setTimeout(r, timeoutMs); t.unref(); })]);
    clearTimeout(t);
    this.transport?.close();
    this.transport = null;
  }

  /** Resolves when everything queued so far is done (tests, shutdown). */
  idle(): Promise<void> {
    return this.chain;
  }

  private get active(): boolean {
    return this.transport !== null;
  }

  private enqueue(work: () => Promise<void>): void {
    this.chain = this.chain.then(work).catch((err: unknown) => {
      this.o.log.error('alerts', 'the email-alert queue failed on an alert', { error: String(err) }, 'MDH_ERR_ALERT_EMAIL_FAILED');
    });
  }

  /** The hook's listener: decides synchronously (open, repeat, close) and queues the I/O. */
  onAlert(a: AlertRecord): void {
    if (!this.active) return;
    const act = classify(a, this.o.hubId);
    if (act.does === 'open') {
      if (SEVERITY_RANK[a.severity] < SEVERITY_RANK[this.settings.minSeverity]) return;
      const cur = this.open.get(act.base);
      if (cur && !(cur.expires && a.ts - cur.alert.ts >= GENERIC_EXPIRY_MS)) return; // a repeat of an open incident
      if (cur) this.enqueue(() => this.expire(cur, a.ts));
      const inc: OpenIncident = { base: act.base, title: act.title, expires: act.expires, alert: a, row: null, direct: act.base === 'db' };
      this.open.set(act.base, inc);
      this.enqueue(() => this.announce(inc));
    } else if (act.does === 'close') {
      for (const base of act.bases) {
        const inc = this.open.get(base);
        if (!inc) continue;
        this.open.delete(base);
        this.enqueue(() => this.recover(inc, a));
      }
    }
  }

  private store<T>(p: () => Promise<T>): Promise<T> {
    return withTimeout(p(), STORE_TIMEOUT_MS);
  }

  private storeFailed(what: string, err: unknown): void {
    this.o.log.warn('alerts', `the alert-incident table cannot be reached (${what}): sending without de-duplication across hubs`, { error: (err as Error)?.message ?? String(err) }, 'MDH_ERR_ALERT_INCIDENT_STORE');
  }

  /** Claims the incident: true when this hub is the first (it sends), false when another hub has it. */
  private async claim(inc: OpenIncident): Promise<boolean> {
    const a = inc.alert;
    let n = this.gen.get(inc.base);
    if (n === undefined) {
      const re = new RegExp(`^${inc.base.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}#(\\d+)$`);
      n = 0;
      for (const r of await this.store(() => this.o.store.incidents())) {
        const m = re.exec(r.incident_key);
        if (m) n = Math.max(n, Number(m[1]));
      }
    }
    for (const last = n + 1000; n < last; n++) {
      const row: AlertIncidentRecord = {
        incident_key: `${inc.base}#${n}`, severity: a.severity, state: 'open', hub_id: this.o.hubId, opened_at: a.ts, closed_at: null, last_sent_at: null,
        details: { title: inc.title, alert: a.alert, message: a.message, ...(a.source ? { source: a.source } : {}), ...(a.group ? { group: a.group } : {}), ...(a.code ? { code: a.code } : {}) },
      };
      if (await this.store(() => this.o.store.claimIncident(row))) {
        this.gen.set(inc.base, n);
        inc.row = row;
        return true;
      }
      const there = await this.store(() => this.o.store.incident(row.incident_key));
      const stillOpen = there?.state === 'open' && !(inc.expires && a.ts - there.opened_at >= GENERIC_EXPIRY_MS);
      if (there && stillOpen) {
        this.gen.set(inc.base, n);
        inc.row = there;
        return false;
      }
    }
    throw new Error(`no free incident key for ${inc.base}`);
  }

  private async announce(inc: OpenIncident): Promise<void> {
    let mine = true;
    if (!inc.direct) {
      try {
        mine = await this.claim(inc);
      } catch (err) {
        this.storeFailed('claiming an incident', err);
        inc.direct = true;
      }
    }
    if (!mine) {
      this.o.log.info('alerts', `incident ${inc.row?.incident_key} was emailed by hub ${inc.row?.hub_id}`, { incident: inc.row?.incident_key });
      return;
    }
    const key = inc.row?.incident_key ?? `${inc.base} (this hub only)`;
    const sent = await this.send(inc.alert.alert, (sup) => incidentEmail({ hubId: this.o.hubId, host: this.host, key, title: inc.title, alert: inc.alert }, sup, inc.direct ? DIRECT_NOTE : undefined));
    if (sent && inc.row && !inc.direct) {
      inc.row = { ...inc.row, last_sent_at: this.now() };
      await this.store(() => this.o.store.updateIncident(inc.row!)).catch((err: unknown) => this.storeFailed('recording the email', err));
    }
  }

  private async recover(inc: OpenIncident, r: AlertRecord): Promise<void> {
    let direct = inc.direct || inc.row === null;
    if (!direct) {
      const row = inc.row!;
      try {
        const closing: AlertIncidentRecord = {
          incident_key: `${row.incident_key}/closed`, severity: 'info', state: 'closed', hub_id: this.o.hubId, opened_at: r.ts, closed_at: r.ts, last_sent_at: null,
          details: { incident: row.incident_key, alert: r.alert, message: r.message },
        };
        if (!(await this.store(() => this.o.store.claimIncident(closing)))) return; // another hub sends the follow-up
        await this.store(() => this.o.store.updateIncident({ ...row, state: 'closed', closed_at: r.ts }));
      } catch (err) {
        this.storeFailed('closing an incident', err);
        direct = true;
      }
    }
    const key = inc.row?.incident_key ?? `${inc.base} (this hub only)`;
    const openedAt = inc.row?.opened_at ?? inc.alert.ts;
    await this.send(r.alert, (sup) => recoveryEmail({ hubId: this.o.hubId, host: this.host, key, title: inc.title, alert: inc.alert, openedAt, recovery: r }, sup, direct ? DIRECT_NOTE : undefined));
  }

  /** An incident with no recovery alert closes itself after a day (no email). */
  private async expire(inc: OpenIncident, at: number): Promise<void> {
    if (!inc.row || inc.direct) return;
    await this.store(() => this.o.store.updateIncident({ ...inc.row!, state: 'closed', closed_at: at })).catch((err: unknown) => this.storeFailed('expiring an incident', err));
  }

  private summaryDue(): boolean {
    const at = this.settings.dailySummary;
    return at !== undefined && formatTime(this.now()).slice(11, 16) >= at;
  }

  /** Sends the daily summary once its time has come today (the timer calls it; tests may too). */
  checkSummary(): void {
    if (!this.active || !this.summaryDue()) return;
    const day = formatTime(this.now()).slice(0, 10);
    if (this.lastSummaryDay === day) return;
    this.lastSummaryDay = day;
    this.enqueue(() => this.summary(day));
  }

  private async summary(day: string): Promise<void> {
    let rows: AlertIncidentRecord[] = [];
    try {
      const row: AlertIncidentRecord = { incident_key: `summary:${day}`, severity: 'info', state: 'closed', hub_id: this.o.hubId, opened_at: this.now(), closed_at: this.now(), last_sent_at: null, details: {} };
      if (!(await this.store(() => this.o.store.claimIncident(row)))) return; // another hub sends today's
      rows = await this.store(() => this.o.store.incidents());
    } catch (err) {
      this.storeFailed('the daily summary', err);
    }
    const incidents: SummaryIncident[] = rows.filter((r) => /#\d+$/.test(r.incident_key)).map((r) => ({
      key: r.incident_key, severity: r.severity as Severity, state: r.state, hub_id: r.hub_id, opened_at: r.opened_at, closed_at: r.closed_at,
      title: typeof r.details['title'] === 'string' ? r.details['title'] : r.incident_key,
    }));
    await this.send('daily_summary', (sup) => summaryEmail(this.o.hubId, this.host, this.now(), incidents, sup));
  }

  /** Sends one email within the hourly limit; never throws. True when the server accepted it. */
  private async send(what: string, build: (sup: Suppressed) => Email): Promise<boolean> {
    const transport = this.transport;
    if (!transport) return false;
    const now = this.now();
    this.sentAt = this.sentAt.filter((t) => now - t < HOUR_MS);
    if (this.sentAt.length >= this.settings.maxPerHour) {
      this.counts.rate_limited++;
      this.suppressed[what] = (this.suppressed[what] ?? 0) + 1;
      this.limitedLogged++;
      // Logged at powers of two: counted always, never a log storm.
      if ((this.limitedLogged & (this.limitedLogged - 1)) === 0) {
        this.o.log.warn('alerts', `alert emails over the hourly limit (${this.settings.maxPerHour}): not sent, summarised in the next email`, { alert: what, suppressed: this.limitedLogged }, 'MDH_ERR_ALERT_RATE_LIMITED');
      }
      return false;
    }
    this.sentAt.push(now);
    const sup = this.suppressed;
    const email = build(sup);
    try {
      await transport.sendMail({ from: this.settings.from ?? `mdhub ${this.o.hubId} <mdhub@${this.host}>`, to: this.settings.to, subject: email.subject, text: email.text });
      this.counts.sent++;
      this.suppressed = {};
      this.limitedLogged = 0;
      this.o.log.info('alerts', `alert email sent: ${email.subject}`, { to: this.settings.to });
      return true;
    } catch (err) {
      this.counts.failed++;
      this.o.log.error('alerts', `an alert email could not be sent: ${email.subject}`, { subject: email.subject, reason: (err as Error)?.message ?? String(err), smtp: `${this.settings.smtp?.host}:${this.settings.smtp?.port}` }, 'MDH_ERR_ALERT_EMAIL_FAILED');
      return false;
    }
  }
}
