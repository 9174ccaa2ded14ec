/**
 * Health-check plugins on the hub's control plane: each enabled plugin of kind `health-check` is created
 * once with its configuration and asked about every source once a second. Its verdicts (`stale` takes a
 * source out of the race, `degraded` flags it) join the health monitor's own judgement. A check that
 * throws or answers nonsense is caught per call and counted (MDH_ERR_PLUGIN_CHECK_FAILED); after 10
 * failures within 10 s it is disabled, with a `health_check_disabled` status event. It never takes the
 * hub down.
 */
import type { HealthCheck, HealthCheckInput, HealthCheckPlugin } from '../plugin/manifest.js';
import { parsePluginConfig } from '../plugin/manifest.js';
import type { CheckVerdict } from './source-health.js';

export interface HealthCheckSpec {
  /** The plugin's package (its row in the plugins table). */
  plugin: string;
  config: unknown;
}

export interface HealthChecksOptions {
  load(pkg: string): Promise<HealthCheckPlugin>;
  create(plugin: HealthCheckPlugin, config: unknown): HealthCheck;
  inputs(): HealthCheckInput[];
  event(ev: { kind: string; [k: string]: unknown }): void;
  log(level: 'info' | 'warn' | 'error', msg: string, details: Record<string, unknown>, code?: string): void;
}

const FAILURES = 10;
const WINDOW_MS = 10_000;

interface Instance {
  pkg: string;
  check: HealthCheck;
  calls: number;
  errors: number;
  recent: number[];
  disabled: boolean;
}

export class HealthChecks {
  private instances: Instance[] = [];
  private verdicts = new Map<string, CheckVerdict[]>();
  private timer: NodeJS.Timeout | null = null;
  private applied = '[]';

  constructor(private readonly o: HealthChecksOptions) {}

  /** Creates the checks of `specs` (replacing the previous ones); one that cannot be loaded or created is logged and left out. */
  async configure(specs: readonly HealthCheckSpec[]): Promise<void> {
    const key = JSON.stringify(specs);
    if (key === this.applied) return;
    this.applied = key;
    const next: Instance[] = [];
    for (const s of specs) {
      try {
        const plugin = await this.o.load(s.plugin);
        const check = this.o.create(plugin, parsePluginConfig(plugin, s.plugin, s.config));
        if (typeof check?.check !== 'function') throw new Error('create() did not return {name, check(input)}');
        next.push({ pkg: s.plugin, check, calls: 0, errors: 0, recent: [], disabled: false });
        this.o.log('info', `health check ${s.plugin} runs`, { plugin: s.plugin });
      } catch (err) {
        const e = err as { code?: string; message?: string };
        this.o.log('error', `health check ${s.plugin} is not run: ${e.message ?? String(err)}`, { plugin: s.plugin }, e.code ?? 'MDH_ERR_PLUGIN_CREATE_FAILED');
      }
    }
    for (const i of this.instances) this.close(i);
    this.instances = next;
    this.verdicts.clear();
  }

  start(everyMs = 1000): void {
    this.timer ??= setInterval(() => this.run(), everyMs);
    this.timer.unref?.();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    for (const i of this.instances) this.close(i);
    this.instances = [];
  }

  /** What the checks said of `source` at their last run. */
  of(source: string): CheckVerdict[] {
    return this.verdicts.get(source) ?? [];
  }

  /** Calls and failures per check (for /metrics and the status). */
  stats(): Array<{ plugin: string; calls: number; errors: number; disabled: boolean }> {
    return this.instances.map((i) => ({ plugin: i.pkg, calls: i.calls, errors: i.errors, disabled: i.disabled }));
  }

  /** Asks every check about every source (the timer's job; tests call it directly). */
  run(): void {
    if (this.instances.length === 0) return;
    const inputs = this.o.inputs();
    const next = new Map<string, CheckVerdict[]>();
    for (const input of inputs) {
      const out: CheckVerdict[] = [];
      for (const i of this.instances) {
        if (i.disabled) continue;
        i.calls++;
        try {
          const v = i.check.check(Object.freeze({ ...input }));
          if (v === null || v === undefined || v.health === 'ok') continue;
          if ((v.health !== 'degraded' && v.health !== 'stale') || typeof v.reason !== 'string') throw new Error(`malformed verdict ${JSON.stringify(v)?.slice(0, 200)}`);
          out.push({ health: v.health, reason: `${i.check.name ?? i.pkg}: ${v.reason.slice(0, 300)}` });
        } catch (err) {
          this.failed(i, input.source, err);
        }
      }
      if (out.length > 0) next.set(input.source, out);
    }
    this.verdicts = next;
  }

  private failed(i: Instance, source: string, err: unknown): void {
    i.errors++;
    const now = performance.now();
    i.recent.push(now);
    while (i.recent.length > 0 && now - i.recent[0]! > WINDOW_MS) i.recent.shift();
    if ((i.errors & (i.errors - 1)) === 0) this.o.log('warn', `health check ${i.pkg} failed`, { plugin: i.pkg, source, errors: i.errors, error: String(err) }, 'MDH_ERR_PLUGIN_CHECK_FAILED');
    if (i.recent.length >= FAILURES) {
      i.disabled = true;
      this.o.event({ kind: 'health_check_disabled', plugin: i.pkg, errors: i.errors, error: String(err).slice(0, 300) });
      this.o.log('error', `health check ${i.pkg} is disabled after ${FAILURES} failures within ${WINDOW_MS / 1000} s`, { plugin: i.pkg }, 'MDH_ERR_PLUGIN_CHECK_FAILED');
    }
  }

  private close(i: Instance): void {
    try {
      i.check.close?.();
    } catch { /* a plugin's close never stops the hub */ }
  }
}
