/**
 * The health monitor's state machine on a fake clock: what each fact makes of a source's health, when a
 * source stops and starts feeding, when it is hard-restarted (and when not), market-wide silence, the
 * hold-down, one restart per group, and groups without a feeding source. Sessions come from the real
 * calendar (groupInSession): breaks and the evening before a holiday are not in session.
 */
import { describe, expect, it } from 'vitest';
import type { SourceFacts } from '../../src/gateway/supervisor.js';
import type { WatchReport } from '../../src/dataplane/watch.js';
import { DEFAULT_HEALTH, HealthMonitor } from '../../src/hub/source-health.js';
import type { AlertEvent, CheckVerdict, HealthSettings } from '../../src/hub/source-health.js';
import { groupInSession } from '../../src/composition.js';
import { TradingCalendar, atShanghai } from '../../src/market/index.js';

function facts(id: string, over: Partial<SourceFacts> = {}): SourceFacts {
  return { id, running: true, state: 'subscribed', reason: null, stoppedByAdmin: false, failed: null, breaker: 'closed', silentMs: 100, upMs: 60_000, unhealthy: null, restarts: 0, wasSubscribed: true, ...over };
}

function harness(ids: string[], opts: { settings?: Partial<HealthSettings>; inSession?: boolean; groups?: Array<{ name: string; sources: string[] }> } = {}) {
  let now = 1_000_000;
  const f = new Map(ids.map((id) => [id, facts(id)]));
  const feeding = new Map<string, boolean>();
  const killed: string[] = [];
  const events: Array<{ kind: string; [k: string]: unknown }> = [];
  const alerts: AlertEvent[] = [];
  const checks = new Map<string, CheckVerdict[]>();
  let session = opts.inSession ?? true;
  const m = new HealthMonitor({
    settings: { ...DEFAULT_HEALTH, ...opts.settings },
    facts: () => [...f.values()],
    groups: () => opts.groups ?? [{ name: 'g', sources: [] }],
    inSession: () => session,
    setFeeding: (id, on) => feeding.set(id, on),
    kill: (id) => {
      killed.push(id);
      f.set(id, { ...f.get(id)!, running: false, state: 'stopped' });
    },
    noteHealthy: () => {},
    event: (e) => events.push(e),
    alert: (a) => alerts.push(a),
    now: () => now,
    checks: (id) => checks.get(id) ?? [],
  });
  m.start(1_000_000_000); // the timer never fires in a test: evaluate() is called by hand
  const watch = (sources: Record<string, { behind_ms?: number; data_age_ms?: number | null; canary?: string; exchanges?: string[] }>, canarySilentMs: number | null = 100): void => {
    const r: WatchReport = { sources: {}, groups: { g: { canary_silent_ms: canarySilentMs, canaries: ['rb2701.SHFE', 'SR701.CZCE'] } } };
    for (const id of ids) {
      const s = sources[id] ?? {};
      r.sources[id] = { behind_ms: s.behind_ms ?? 0, canary: s.canary ?? (s.behind_ms ? 'rb2701.SHFE' : null), data_age_ms: s.data_age_ms === undefined ? 50 : s.data_age_ms, exchanges: s.exchanges ?? ['SHFE', 'CZCE'] };
    }
    m.onWatch(r);
  };
  return {
    m, f, feeding, killed, events, alerts, checks, watch,
    /** Time passes with the monitor's timer running (an evaluation every 100 ms). */
    advance: (ms: number): void => {
      for (let left = ms; left > 0; left -= 100) {
        now += Math.min(100, left);
        m.evaluate();
      }
    },
    /** The hub does not run for `ms` (SIGSTOP): no evaluation meanwhile. */
    stall: (ms: number): void => { now += ms; m.evaluate(); },
    set: (id: string, over: Partial<SourceFacts>): void => { f.set(id, { ...f.get(id)!, ...over }); m.evaluate(); },
    session: (on: boolean): void => { session = on; },
    health: (id: string) => m.view(id)?.health,
  };
}

describe('source health', () => {
  it('a subscribed source with data feeds; one behind another source on a canary stops feeding at once, with its reason', () => {
    const h = harness(['a', 'b']);
    h.watch({});
    expect(h.health('a')).toBe('ok');
    expect(h.feeding.get('a')).toBe(true);
    h.watch({ a: { behind_ms: 350, data_age_ms: 400 } });
    expect(h.health('a')).toBe('stale');
    expect(h.feeding.get('a')).toBe(false);
    expect(h.m.view('a')!.reason).toMatch(/canary rb2701\.SHFE: 350 ms behind/);
    expect(h.events.filter((e) => e.kind === 'source_health' && e['source'] === 'a').at(-1)).toMatchObject({ health: 'stale', previous: 'ok', feeding: false });
    expect(h.alerts.map((a) => a.alert)).toContain('source_stale');
    expect(h.killed).toEqual([]); // the slow speed: no restart yet
  });

  it('a stale source that delivers nothing while others deliver is hard-restarted after the confirmation, not before', () => {
    const h = harness(['a', 'b']);
    h.watch({});
    h.watch({ a: { behind_ms: 400, data_age_ms: 400 } });
    h.advance(DEFAULT_HEALTH.confirmMs - 200);
    h.watch({ a: { behind_ms: 5000, data_age_ms: 5000 } });
    expect(h.killed).toEqual([]);
    h.advance(300);
    h.watch({ a: { behind_ms: 5300, data_age_ms: 5300 } });
    expect(h.killed).toEqual(['a']);
    expect(h.events.find((e) => e.kind === 'source_restart')).toMatchObject({ source: 'a', fault: 'canary' });
    expect(h.health('a')).toBe('restarting');
  });

  it('a lagging source that still delivers is taken out of the race but never killed (no login storm at the open)', () => {
    const h = harness(['a', 'b']);
    h.watch({});
    for (let t = 0; t < 20; t++) {
      h.watch({ a: { behind_ms: 900, data_age_ms: 20 } });
      h.advance(1000);
    }
    expect(h.health('a')).toBe('stale');
    expect(h.killed).toEqual([]);
    // it catches up: feeds again after the hold-down, since b feeds meanwhile
    h.watch({ a: { behind_ms: 0 } });
    expect(h.health('a')).toBe('stale');
    expect(h.m.view('a')!.reason).toMatch(/hold-down/);
    h.advance(DEFAULT_HEALTH.holdDownMs + 1);
    h.watch({});
    expect(h.health('a')).toBe('ok');
    expect(h.feeding.get('a')).toBe(true);
    expect(h.alerts.map((x) => x.alert)).toContain('source_recovered');
  });

  it('market-wide silence inside a session: one critical event, sources feed on (degraded), no restarts', () => {
    const h = harness(['a', 'b']);
    h.watch({});
    for (let t = 0; t < 60; t++) {
      h.advance(1000);
      h.watch({ a: { data_age_ms: 1000 * (t + 1) }, b: { data_age_ms: 1000 * (t + 1) } }, 1000 * (t + 1));
    }
    expect(h.events.filter((e) => e.kind === 'group_silent')).toHaveLength(1);
    expect(h.alerts.filter((a) => a.alert === 'group_silent' && a.severity === 'critical')).toHaveLength(1);
    expect(h.health('a')).toBe('degraded');
    expect(h.feeding.get('a')).toBe(true);
    expect(h.killed).toEqual([]);
    h.watch({}, 50);
    expect(h.events.at(-1)?.kind === 'group_ticking' || h.events.some((e) => e.kind === 'group_ticking')).toBe(true);
    expect(h.health('a')).toBe('ok');
  });

  it('silence outside a session (a break, the night) is the market: no event, no restart', () => {
    const h = harness(['a', 'b'], { inSession: false });
    h.watch({});
    for (let t = 0; t < 60; t++) {
      h.advance(1000);
      h.watch({ a: { data_age_ms: 1000 * (t + 1) }, b: { data_age_ms: 1000 * (t + 1) } }, 1000 * (t + 1));
    }
    expect(h.events.filter((e) => e.kind === 'group_silent' || e.kind === 'group_down')).toEqual([]);
    expect(h.killed).toEqual([]);
    expect(h.health('a')).toBe('ok');
  });

  it('a source behind on a canary at a break (others silent too) is not restarted', () => {
    const h = harness(['a', 'b']);
    h.watch({});
    for (let t = 0; t < 30; t++) {
      h.advance(1000);
      // a missed the session's last state; nobody has delivered anything since
      h.watch({ a: { behind_ms: 1000 * (t + 1), data_age_ms: 1000 * (t + 1) }, b: { data_age_ms: 1000 * (t + 1) } }, 1000 * (t + 1));
    }
    expect(h.health('a')).toBe('stale');
    expect(h.killed).toEqual([]);
  });

  it('a source that recovers with no other source feeding rejoins at once', () => {
    const h = harness(['a']);
    h.watch({});
    h.set('a', { state: 'disconnected', reason: 'simulated front disconnect (4097)' });
    expect(h.health('a')).toBe('stale');
    expect(h.m.view('a')!.reason).toBe('disconnected: simulated front disconnect (4097)');
    h.set('a', { state: 'subscribed', reason: 'reconnected' });
    expect(h.health('a')).toBe('ok');
  });

  it('a disconnected source is restarted only after the longer reconnect allowance', () => {
    const h = harness(['a', 'b']);
    h.watch({});
    h.set('a', { state: 'disconnected' });
    h.advance(DEFAULT_HEALTH.confirmMs + 1000);
    expect(h.killed).toEqual([]);
    h.advance(DEFAULT_HEALTH.disconnectedRestartMs);
    expect(h.killed).toEqual(['a']);
  });

  it('a process that stops answering is dead (not feeding) and is killed after the confirmation', () => {
    const h = harness(['a', 'b']);
    h.watch({});
    h.set('a', { silentMs: DEFAULT_HEALTH.deadAfterMs + 1 });
    expect(h.health('a')).toBe('dead');
    expect(h.feeding.get('a')).toBe(false);
    h.advance(DEFAULT_HEALTH.confirmMs);
    h.set('a', { silentMs: DEFAULT_HEALTH.deadAfterMs + DEFAULT_HEALTH.confirmMs + 1 });
    expect(h.killed).toEqual(['a']);
    expect(h.alerts.map((x) => x.alert)).toEqual(expect.arrayContaining(['source_dead', 'source_restart']));
  });

  it('restarts one source of a group at a time', () => {
    const h = harness(['a', 'b', 'c']);
    h.watch({});
    h.watch({ a: { behind_ms: 500, data_age_ms: 500 }, b: { behind_ms: 500, data_age_ms: 500 } });
    h.advance(DEFAULT_HEALTH.confirmMs + 100);
    h.watch({ a: { behind_ms: 6000, data_age_ms: 6000 }, b: { behind_ms: 6000, data_age_ms: 6000 } });
    expect(h.killed).toHaveLength(1);
    const first = h.killed[0]!;
    const second = first === 'a' ? 'b' : 'a';
    h.advance(1000);
    expect(h.killed).toHaveLength(1);
    // the first comes back healthy: the slot frees, the second goes
    h.set(first, { running: true, state: 'subscribed', restarts: 1, upMs: 500 });
    h.watch({ [second]: { behind_ms: 7000, data_age_ms: 7000 } });
    expect(h.health(first)).not.toBe('restarting');
    h.advance(DEFAULT_HEALTH.holdDownMs + 100);
    h.watch({ [second]: { behind_ms: 8000, data_age_ms: 8000 } });
    expect(h.health(first)).toBe('ok');
    h.advance(100);
    expect(h.killed).toEqual([first, second]);
  });

  it('an open breaker, a refused login and an admin stop each have their own health', () => {
    const h = harness(['a', 'b', 'c']);
    h.set('a', { running: false, breaker: 'open' });
    h.set('b', { running: false, failed: 'MDH_ERR_GATEWAY_LOGIN_FAILED' });
    h.set('c', { running: false, stoppedByAdmin: true });
    expect([h.health('a'), h.health('b'), h.health('c')]).toEqual(['circuit_open', 'dead', 'stopped']);
    expect(h.alerts.find((x) => x.alert === 'source_circuit_open')?.severity).toBe('critical');
  });

  it('a group with no feeding source inside its session is down (critical), once it was fed; not outside the session', () => {
    const h = harness(['a'], { settings: { holdDownMs: 0 } });
    h.set('a', { state: 'connecting', upMs: 100, wasSubscribed: false });
    expect(h.m.groupTrouble().down).toEqual([]); // starting: not judged yet
    h.set('a', { state: 'subscribed' });
    h.watch({});
    h.set('a', { running: false });
    expect(h.m.groupTrouble().down).toEqual(['g']);
    expect(h.alerts.find((x) => x.alert === 'group_down')?.severity).toBe('critical');
    h.set('a', { running: true, restarts: 1 });
    expect(h.m.groupTrouble().down).toEqual([]);
    expect(h.events.some((e) => e.kind === 'group_recovered')).toBe(true);
    h.session(false);
    h.set('a', { running: false, restarts: 2 });
    expect(h.m.groupTrouble().down).toEqual([]);
  });

  it('health-check verdicts: stale takes a source out, degraded flags it and it feeds on', () => {
    const h = harness(['a', 'b']);
    h.watch({});
    h.checks.set('a', [{ health: 'degraded', reason: 'front latency high' }]);
    h.advance(10);
    expect(h.health('a')).toBe('degraded');
    expect(h.feeding.get('a')).toBe(true);
    h.checks.set('a', [{ health: 'stale', reason: 'spread too wide' }]);
    h.advance(10);
    expect(h.health('a')).toBe('stale');
    expect(h.m.view('a')!.reason).toBe('spread too wide');
  });

  it('quality: lag p99 above the threshold or a skewed clock make a source degraded', () => {
    const h = harness(['a', 'b']);
    const r: WatchReport = {
      sources: { a: { behind_ms: 0, canary: null, data_age_ms: 10, exchanges: [] }, b: { behind_ms: 0, canary: null, data_age_ms: 10, exchanges: [] } }, groups: {},
      quality: { a: { copies: 100, wins: 1, win_share: 0.01, lag_p50_ms: 300, lag_p99_ms: 750, clock_offset_p50_ms: 10, clock_offset_p99_ms: 20 } },
    };
    h.m.onWatch(r);
    expect(h.health('a')).toBe('degraded');
    expect(h.m.view('a')!.reason).toMatch(/lag behind the winner p99 750 ms/);
    expect(h.health('b')).toBe('ok');
  });
});

describe('groupInSession (the calendar decides what silence means)', () => {
  const cal = new TradingCalendar();
  it('inside the day session, not at the 10:15 break or at noon', () => {
    expect(groupInSession(['rb.SHFE'], cal, atShanghai('20261203', '09:40:00'))).toBe(true);
    expect(groupInSession(['rb.SHFE'], cal, atShanghai('20261203', '10:20:00'))).toBe(false);
    expect(groupInSession(['rb.SHFE'], cal, atShanghai('20261203', '12:00:00'))).toBe(false);
  });
  it('a night session on a normal evening, none on the evening before a holiday', () => {
    expect(groupInSession(['rb.SHFE'], cal, atShanghai('20261203', '21:30:00'))).toBe(true);
    expect(groupInSession(['rb.SHFE'], cal, atShanghai('20260930', '21:30:00'))).toBe(false);
    expect(groupInSession(['rb.SHFE'], cal, atShanghai('20260924', '21:30:00'))).toBe(false);
  });
  it('any canary in session counts (IF has no night session, rb does); none configured is never in session', () => {
    expect(groupInSession(['IF.CFFEX'], cal, atShanghai('20261203', '21:30:00'))).toBe(false);
    expect(groupInSession(['IF.CFFEX', 'rb.SHFE'], cal, atShanghai('20261203', '21:30:00'))).toBe(true);
    expect(groupInSession([], cal, atShanghai('20261203', '09:40:00'))).toBe(false);
  });
});

describe('source health across a hub stall', () => {
  it('time the hub did not run is nobody\'s fault: no restart right after it resumes', () => {
    const h = harness(['a', 'b']);
    h.watch({});
    h.watch({ a: { behind_ms: 400, data_age_ms: 400 } });
    h.stall(12_000); // the hub was SIGSTOPped for 12 s
    h.watch({ a: { behind_ms: 12_400, data_age_ms: 12_400 } });
    expect(h.killed).toEqual([]);
    h.advance(DEFAULT_HEALTH.confirmMs);
    h.watch({ a: { behind_ms: 18_000, data_age_ms: 18_000 } });
    expect(h.killed).toEqual(['a']);
  });

  it('a long-running process logging in again after a disconnect is reconnecting, not starting: no kill for its age', () => {
    const h = harness(['a', 'b']);
    h.watch({});
    h.set('a', { state: 'connected', upMs: 3_600_000 });
    expect(h.health('a')).toBe('stale');
    expect(h.m.view('a')!.reason).toBe('reconnecting: connected');
    h.advance(DEFAULT_HEALTH.confirmMs + 1000);
    expect(h.killed).toEqual([]);
    h.set('a', { state: 'subscribed' });
    h.advance(DEFAULT_HEALTH.holdDownMs + 100);
    expect(h.health('a')).toBe('ok');
  });

  it('a process stuck before subscribed is restarted after the start timeout', () => {
    const h = harness(['a', 'b']);
    h.set('a', { state: 'connecting', upMs: 1000, wasSubscribed: false });
    expect(h.health('a')).toBe('restarting');
    expect(h.killed).toEqual([]);
    h.set('a', { upMs: DEFAULT_HEALTH.startTimeoutMs });
    expect(h.killed).toEqual(['a']);
  });
});

describe('a subscribed source that delivers nothing', () => {
  it('is stale after noDataMs while others deliver, and restarted once confirmed', () => {
    const h = harness(['a', 'b']);
    h.watch({ a: { data_age_ms: null } });
    expect(h.health('a')).toBe('stale'); // up 60 s already, no data at all
    expect(h.m.view('a')!.reason).toBe('no data since its process started while other sources deliver');
    h.advance(DEFAULT_HEALTH.confirmMs);
    h.watch({ a: { data_age_ms: null } });
    expect(h.killed).toEqual(['a']);
    expect(h.events.find((e) => e.kind === 'source_restart')).toMatchObject({ fault: 'no_data' });
  });

  it('is left alone while nobody delivers (the market is quiet)', () => {
    const h = harness(['a', 'b']);
    h.watch({ a: { data_age_ms: null }, b: { data_age_ms: 20_000 } });
    expect(h.health('a')).toBe('ok');
  });
});

describe('the hold-down covers nothing the others do not', () => {
  it('a recovered source rejoins at once when one of its groups has no other feeding source', () => {
    const h = harness(['a', 'b', 'c'], { groups: [{ name: 'prio', sources: ['a', 'b'] }, { name: 'race', sources: [] }] });
    h.watch({});
    h.set('a', { state: 'disconnected' });
    h.set('b', { state: 'disconnected' });
    expect([h.health('a'), h.health('b')]).toEqual(['stale', 'stale']);
    // c still feeds the race group, but nobody feeds prio: a is back at once
    h.set('a', { state: 'subscribed' });
    expect(h.health('a')).toBe('ok');
    // now prio has a: b waits out the hold-down
    h.set('b', { state: 'subscribed' });
    expect(h.health('b')).toBe('stale');
    expect(h.m.view('b')!.reason).toMatch(/hold-down/);
  });

  it('a recovered source rejoins at once when the feeding ones do not deliver an exchange it does', () => {
    const h = harness(['sim', 'ctp']);
    h.watch({ sim: { exchanges: ['SHFE', 'SSE'] }, ctp: { exchanges: ['SHFE'] } });
    h.set('sim', { state: 'disconnected' });
    h.set('sim', { state: 'subscribed' });
    expect(h.health('sim')).toBe('ok'); // nobody else publishes its SSE options
    h.watch({ sim: { exchanges: ['SHFE'] }, ctp: { exchanges: ['SHFE', 'SSE'] } });
    h.set('sim', { state: 'disconnected' });
    h.set('sim', { state: 'subscribed' });
    expect(h.health('sim')).toBe('stale'); // covered: held down
  });
});

describe('stopping on purpose', () => {
  it('a source stopping for a reconfiguration is not a fault: no stale alert', () => {
    const h = harness(['a', 'b']);
    h.watch({});
    h.set('a', { state: 'stopped' });
    expect(h.health('a')).toBe('restarting');
    expect(h.alerts.map((x) => x.alert)).toEqual([]);
    h.advance(60_000);
    expect(h.killed).toEqual([]);
  });
});

describe('alerts that open and close email incidents', () => {
  it('a process that ends by itself is a source_restart alert, and its return after the restart is source_recovered', () => {
    const h = harness(['a', 'b'], { settings: { holdDownMs: 0 } });
    h.watch({});
    expect(h.health('a')).toBe('ok');
    h.set('a', { running: false, state: 'stopped', restarts: 1, reason: 'exit code 1' });
    expect(h.health('a')).toBe('restarting');
    expect(h.alerts.map((x) => x.alert)).toEqual(['source_restart']);
    h.set('a', { running: true, state: 'subscribed', reason: null });
    expect(h.health('a')).toBe('ok');
    expect(h.alerts.map((x) => x.alert)).toEqual(['source_restart', 'source_recovered']);
  });

  it('a dead source killed and restarted by the monitor recovers with source_recovered (no second restart alert for its own kill)', () => {
    const h = harness(['a', 'b'], { settings: { holdDownMs: 0 } });
    h.watch({});
    h.set('a', { silentMs: DEFAULT_HEALTH.deadAfterMs + 1 });
    h.advance(DEFAULT_HEALTH.confirmMs);
    h.set('a', { silentMs: DEFAULT_HEALTH.deadAfterMs + DEFAULT_HEALTH.confirmMs + 1 });
    expect(h.killed).toEqual(['a']);
    h.set('a', { running: true, state: 'subscribed', silentMs: 100, restarts: 1 });
    expect(h.health('a')).toBe('ok');
    expect(h.alerts.map((x) => x.alert)).toEqual(['source_dead', 'source_restart', 'source_recovered']);
  });

  it('a first start is no recovery', () => {
    const h = harness(['a']);
    h.set('a', { state: 'connecting', wasSubscribed: false, upMs: 100 });
    h.set('a', { state: 'subscribed' });
    h.watch({});
    expect(h.health('a')).toBe('ok');
    expect(h.alerts).toEqual([]);
  });
});
