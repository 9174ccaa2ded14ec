import { Badge } from './ui/badge';

type Tone = 'ok' | 'warn' | 'bad' | 'neutral' | 'info';

const HEALTH_TONE: Record<string, Tone> = {
  ok: 'ok', degraded: 'warn', stale: 'bad', restarting: 'warn', dead: 'bad', circuit_open: 'bad', stopped: 'neutral',
};
const STATE_TONE: Record<string, Tone> = { subscribed: 'ok', logged_in: 'info', connected: 'info', connecting: 'info', disconnected: 'bad', stopped: 'neutral' };

/** A source's health as a coloured badge with its word (never colour alone). */
export function HealthBadge({ health }: { health: string | null }): React.JSX.Element {
  return <Badge tone={health ? HEALTH_TONE[health] ?? 'neutral' : 'neutral'}>{health ? health.replace('_', ' ') : 'unknown'}</Badge>;
}

export function StateBadge({ state }: { state: string }): React.JSX.Element {
  return <Badge tone={STATE_TONE[state] ?? 'neutral'}>{state.replace('_', ' ')}</Badge>;
}

export function BreakerBadge({ breaker }: { breaker: string }): React.JSX.Element {
  return <Badge tone={breaker === 'closed' ? 'neutral' : breaker === 'open' ? 'bad' : 'warn'}>{breaker.replace('_', '-')}</Badge>;
}

export function HubStatusBadge({ status }: { status: string }): React.JSX.Element {
  return <Badge tone={status === 'ok' ? 'ok' : status === 'degraded' ? 'warn' : 'bad'} className="text-sm">{status}</Badge>;
}

export function SeverityBadge({ severity }: { severity: string }): React.JSX.Element {
  return <Badge tone={severity === 'critical' ? 'bad' : severity === 'warning' ? 'warn' : 'info'}>{severity}</Badge>;
}
