/**
 * Alerts grouped into incidents, and the emails that announce them: pure functions, no I/O (the
 * notifier in email-alerts.ts does the database claims and SMTP). An incident opens on a fault alert
 * and closes on the matching recovery; everything between is a repeat of it and sends nothing.
 *
 * Incidents are keyed by what is at fault, not by the alert's name, so one fault that goes stale,
 * then dead, then restarted is one incident and one email:
 *
 * | opens (key)                                              | closes                |
 * |----------------------------------------------------------|-----------------------|
 * | `source_stale` / `source_dead` / `source_restart` (`source:<id>`) | `source_recovered` |
 * | `source_circuit_open` (`circuit:<id>`; critical, needs an operator) | `source_recovered` |
 * | `group_down` (`group_down:<group>`)                       | `group_recovered`     |
 * | `group_silent` (`group_silent:<group>`)                   | `group_ticking`       |
 * | `db_unreachable` (`db`)                                   | `db_recovered`        |
 * | `hub_outside_schedule` (`hub_outside_schedule:<hub id>`: about the hub itself, one per hub) | none: it expires like the next row |
 * | any other alert, e.g. `calendar_ending` (`<alert>:<subject>`, `<alert>:hub` without a source or group) | none: it expires after {@link GENERIC_EXPIRY_MS}, so a condition that persists is mailed again about daily |
 *
 * Hubs sharing a database share an incident when they share its key: a source, a group and the
 * calendar are the same for all of them; an alert about one hub (its start or stop outside the
 * schedule) is keyed by that hub's id, so another hub's never counts as a repeat of it.
 */
import type { AlertEvent } from './source-health.js';

export type Severity = AlertEvent['severity'];
export type AlertRecord = AlertEvent & { ts: number };

export const SEVERITY_RANK: Readonly<Record<Severity, number>> = { info: 0, warning: 1, critical: 2 };

/**
 * An incident without a recovery alert closes itself after this long, so a condition that persists is
 * mailed again about once a day (under 24 h: an alert re-checked daily, like `calendar_ending`, is not
 * missed by a few milliseconds of timer drift).
 */
export const GENERIC_EXPIRY_MS = 20 * 3600_000;

export type IncidentAction =
  | { does: 'open'; base: string; title: string; expires: boolean }
  | { does: 'close'; bases: string[] };

const SOURCE_FAULT_WORD: Readonly<Record<string, string>> = { source_stale: 'stale', source_dead: 'dead', source_restart: 'restarted' };

/** Alerts about the hub that raises them, not about something hubs share: their incidents are per hub. */
const HUB_SCOPED: ReadonlySet<string> = new Set(['hub_outside_schedule']);

/** What an alert does to incidents; `hubId` is the hub that raised it (keys the alerts about a hub itself). */
export function classify(a: AlertEvent, hubId?: string): IncidentAction {
  const src = a.source ?? '?';
  const grp = a.group ?? '?';
  const word = SOURCE_FAULT_WORD[a.alert];
  if (word) return { does: 'open', base: `source:${src}`, title: `source ${src} ${word}`, expires: false };
  switch (a.alert) {
    case 'source_circuit_open': return { does: 'open', base: `circuit:${src}`, title: `source ${src} circuit open`, expires: false };
    case 'source_recovered': return { does: 'close', bases: [`source:${src}`, `circuit:${src}`] };
    case 'group_down': return { does: 'open', base: `group_down:${grp}`, title: `group ${grp} down`, expires: false };
    case 'group_recovered': return { does: 'close', bases: [`group_down:${grp}`] };
    case 'group_silent': return { does: 'open', base: `group_silent:${grp}`, title: `group ${grp} silent`, expires: false };
    case 'group_ticking': return { does: 'close', bases: [`group_silent:${grp}`] };
    case 'db_unreachable': return { does: 'open', base: 'db', title: 'configuration database unreachable', expires: false };
    case 'db_recovered': return { does: 'close', bases: ['db'] };
  }
  const subject = a.source ?? a.group;
  const scope = subject ?? (HUB_SCOPED.has(a.alert) && hubId ? hubId : 'hub');
  return { does: 'open', base: `${a.alert}:${scope}`, title: `${a.alert.replace(/_/g, ' ')}${subject ? ` ${subject}` : ''}`, expires: true };
}

/** What the operator does next, per alert. */
export function nextSteps(a: AlertEvent): string[] {
  const src = a.source ?? 'ID';
  switch (a.alert) {
    case 'source_stale':
    case 'source_dead':
    case 'source_restart':
      return [
        `The hub took ${src} out of the race at once (other sources of its groups keep feeding) and restarts it with backoff; nothing to do if a recovery email follows.`,
        `If it does not: \`npx mdhub status\` shows each source's health and reason; \`npx mdhub tail\` follows the hub log. Check the source's front, network and account (docs/health.md).`,
        `To restart it by hand: \`npx mdhub gateway restart ${src}\`.`,
      ];
    case 'source_circuit_open':
      return [
        `${src} was restarted several times and never became healthy: the hub stopped restarting it (circuit breaker) and tries again after the cool-down.`,
        `Find the cause in the log (\`npx mdhub tail\`, \`npx mdhub status\`): a refused login, a wrong front, a library that does not load.`,
        `After fixing it: \`npx mdhub gateway start ${src}\` (or \`restart\`).`,
      ];
    case 'group_down':
      return [
        `No healthy source feeds group ${a.group ?? ''} inside its trading session: its instruments are not published and /healthz answers 503.`,
        'Check every source of the group (`npx mdhub status`); add or enable another source (`npx mdhub group source`).',
      ];
    case 'group_silent':
      return [
        `Every source of group ${a.group ?? ''} is silent on the canaries: the market itself (a halt, a holiday the calendar does not know) or the whole feed (the network, the broker's fronts). The hub does not restart sources for this.`,
        'Compare with another terminal or the exchange; `npx mdhub status` shows the canaries and their ages.',
      ];
    case 'db_unreachable':
      return [
        'Ticks keep flowing on the last applied configuration; configuration changes wait until the database is back.',
        'Check the database server and the network to it (`npx mdhub db status`). While it is down the hubs sharing it cannot agree on who emails: each hub sends its own copy of this alert.',
      ];
    case 'calendar_ending':
      return ['Import the exchanges\' next holiday list: `npx mdhub calendar import FILE` (docs/operations.md). Past the end of the data every weekday counts as a trading day.'];
    case 'hub_outside_schedule':
      return ['Check the crontab (`npx mdhub schedule crontab`) and who started or stopped the hub; `npx mdhub schedule check` says what the hub should be doing now.'];
    default:
      return ['See the hub log (`npx mdhub tail`) and `npx mdhub status`.'];
  }
}

const pad = (n: number): string => String(n).padStart(2, '0');

/** `2026-12-05 09:31:07` in a time zone (host-local when none). */
export function formatTime(ms: number, timeZone?: string): string {
  const parts = Object.fromEntries(new Intl.DateTimeFormat('en-GB', {
    ...(timeZone ? { timeZone } : {}), year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23',
  }).formatToParts(new Date(ms)).map((p) => [p.type, p.value]));
  return `${parts['year']}-${parts['month']}-${parts['day']} ${parts['hour']}:${parts['minute']}:${parts['second']}`;
}

/** The host's time zone name (TZ, or the system's). */
export function hostZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'local';
}

/** Both clocks an operator in China and one at the host need: host-local and Asia/Shanghai. */
export function when(ms: number): string {
  return `${formatTime(ms)} ${hostZone()} (${formatTime(ms, 'Asia/Shanghai')} Asia/Shanghai)`;
}

/** `1 h 2 min 5 s` (zero parts left out). */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const parts: string[] = [];
  if (s >= 3600) parts.push(`${Math.floor(s / 3600)} h`);
  if (s % 3600 >= 60) parts.push(`${Math.floor((s % 3600) / 60)} min`);
  if (s % 60 > 0 || parts.length === 0) parts.push(`${s % 60} s`);
  return parts.join(' ');
}

export interface Email {
  subject: string;
  text: string;
}

/** Suppressed by the rate limit since the last email went out, per alert. */
export type Suppressed = Record<string, number>;

function suppressedLines(sup: Suppressed): string[] {
  const total = Object.values(sup).reduce((a, b) => a + b, 0);
  if (total === 0) return [];
  return ['', `Rate limit: ${total} email${total === 1 ? '' : 's'} not sent since the last one (${Object.entries(sup).map(([k, n]) => `${k} ×${n}`).join(', ')}); see the hub log for each.`];
}

export interface IncidentFacts {
  hubId: string;
  host: string;
  key: string;
  title: string;
  alert: AlertRecord;
}

/** The email that announces an incident. */
export function incidentEmail(f: IncidentFacts, sup: Suppressed, note?: string): Email {
  const a = f.alert;
  const lines = [
    `What:     ${a.message}`,
    `Alert:    ${a.alert}${a.code ? ` (${a.code})` : ''}, severity ${a.severity}`,
    ...(a.source ? [`Source:   ${a.source}`] : []),
    ...(a.group ? [`Group:    ${a.group}`] : []),
    `When:     ${when(a.ts)}`,
    `Hub:      ${f.hubId} on ${f.host}`,
    `Incident: ${f.key}`,
    '',
    'What to do next:',
    ...nextSteps(a).map((s) => `- ${s}`),
    '',
    'Repeats of this incident send no email; a follow-up comes when it recovers.',
    ...(note ? ['', note] : []),
    ...suppressedLines(sup),
  ];
  return { subject: `[mdhub ${f.hubId}] ${a.severity.toUpperCase()} ${f.title}`, text: `${lines.join('\n')}\n` };
}

/** The follow-up when an incident closes: which incident, when it opened, and how long it lasted. */
export function recoveryEmail(f: IncidentFacts & { openedAt: number; recovery: AlertRecord }, sup: Suppressed, note?: string): Email {
  const r = f.recovery;
  const lines = [
    `Recovered: ${r.message}`,
    `Incident:  ${f.key} (${f.title}), opened ${when(f.openedAt)}`,
    `Closed:    ${when(r.ts)}`,
    `Duration:  ${formatDuration(r.ts - f.openedAt)}`,
    `Cause:     ${f.alert.message}`,
    `Hub:       ${f.hubId} on ${f.host}`,
    ...(note ? ['', note] : []),
    ...suppressedLines(sup),
  ];
  return { subject: `[mdhub ${f.hubId}] RECOVERED ${f.title} (after ${formatDuration(r.ts - f.openedAt)})`, text: `${lines.join('\n')}\n` };
}

export interface SummaryIncident {
  key: string;
  severity: Severity;
  state: 'open' | 'closed';
  hub_id: string;
  opened_at: number;
  closed_at: number | null;
  title: string;
}

/** The daily summary: incidents opened in the last 24 h and those still open. */
export function summaryEmail(hubId: string, host: string, now: number, incidents: SummaryIncident[], sup: Suppressed): Email {
  const recent = incidents.filter((i) => i.opened_at >= now - 24 * 3600_000).sort((a, b) => a.opened_at - b.opened_at);
  const open = incidents.filter((i) => i.state === 'open');
  const line = (i: SummaryIncident): string =>
    `- ${formatTime(i.opened_at)} ${i.severity.toUpperCase()} ${i.title} (hub ${i.hub_id}; ${i.state === 'open' ? 'still open' : `closed after ${formatDuration((i.closed_at ?? now) - i.opened_at)}`})`;
  const lines = [
    `Daily summary of ${formatTime(now)} ${hostZone()} (${formatTime(now, 'Asia/Shanghai')} Asia/Shanghai), sent by hub ${hubId} on ${host}.`,
    '',
    `Incidents opened in the last 24 h: ${recent.length}`,
    ...recent.map(line),
    '',
    `Open now: ${open.length}`,
    ...open.map(line),
    ...suppressedLines(sup),
  ];
  return { subject: `[mdhub ${hubId}] daily summary: ${recent.length} incident${recent.length === 1 ? '' : 's'}, ${open.length} open`, text: `${lines.join('\n')}\n` };
}
