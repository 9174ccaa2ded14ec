/**
 * Plugin scopes: each instance's scope holds exactly what the plugin API promises its context, descends
 * from a root of its own (never the hub's container), and nothing registered in it leaks.
 */
import 'reflect-metadata';
import { container } from 'tsyringe';
import { describe, expect, it } from 'vitest';
import { PluginScopes } from '../../src/plugin/scope.js';
import { PLUGIN_TOKENS, TOKENS } from '../../src/tokens.js';
import { marketCalendar, simulatedClock } from '../../src/market/index.js';
import { defaultCleansingMarket } from '../../src/cleansing/market.js';

const shared = () => ({ hubId: 'hub-a', runId: 'run-1', clock: simulatedClock({ anchorMs: Date.parse('2026-11-25T09:35:00+08:00') }), calendar: marketCalendar(), market: defaultCleansingMarket() });

describe('plugin scopes', () => {
  it('resolve a gateway context and a filter context from what the plugin API promises', () => {
    const scopes = new PluginScopes(shared());
    const g = scopes.gatewayContext('sim-a', { latency: { medianMs: 2 } }, '/tmp/x/gateways/sim-a');
    expect(g).toMatchObject({ id: 'sim-a', hubId: 'hub-a', runId: 'run-1', config: { latency: { medianMs: 2 } }, clock: { simulated: true } });
    const logs: string[] = [];
    const f = scopes.filterContext('wide', { max: 3 }, (_l, m) => logs.push(m));
    expect(f.config).toEqual({ max: 3 });
    expect(f.market.instrument('rb2701', 'SHFE')?.product).toBe('rb');
    f.log('info', 'hello');
    expect(logs).toEqual(['hello']);
    expect(Object.isFrozen(f)).toBe(true);
  });

  it("cannot reach the hub's services, even when the hub registered them in tsyringe's root", () => {
    const hub = container.createChildContainer();
    hub.register(TOKENS.Repository, { useValue: { secret: 'the store' } });
    container.register(TOKENS.Supervisor, { useValue: { secret: 'registered globally by mistake' } });
    try {
      const s = new PluginScopes(shared()).scope('x', {}, () => {});
      expect(() => s.resolve(TOKENS.Repository)).toThrow();
      expect(() => s.resolve(TOKENS.Supervisor)).toThrow();
      expect(container.resolve<{ secret: string }>(TOKENS.Supervisor).secret).toBe('registered globally by mistake'); // the registration is real
      expect(s.resolve<string>(PLUGIN_TOKENS.InstanceId)).toBe('x');
      // a plugin's own registration stays in its scope
      s.register('mine', { useValue: 1 });
      expect(new PluginScopes(shared()).scope('y', {}, () => {}).isRegistered('mine', true)).toBe(false);
      expect(hub.isRegistered('mine', true)).toBe(false);
    } finally {
      container.reset();
    }
  });
});
