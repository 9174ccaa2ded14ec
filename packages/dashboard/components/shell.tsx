'use client';
/**
 * The frame of every page behind the login: the navigation, the hub's name with a plain SIMULATED banner
 * when its sources are simulated, the live connection's state, the user and log out. It checks the
 * session first and sends a visitor without one to the login page; it opens the live WebSocket.
 */
import Link from 'next/link';
import { usePathname, useRouter } from 'next/navigation';
import { useEffect } from 'react';
import { Activity, BadgeCheck, Bird, FileClock, Gauge, KeyRound, LogOut, ScrollText, Search, Server } from 'lucide-react';
import { api, setAuthLostHandler } from '@/lib/api';
import { startLive, stopLive } from '@/lib/live';
import { useLive, useSession } from '@/lib/store';
import { cn } from '@/lib/utils';
import { Button } from './ui/button';
import { Loading } from './states';

const NAV = [
  { href: '/', label: 'Overview', icon: Gauge },
  { href: '/gateways', label: 'Gateways', icon: Server },
  { href: '/canaries', label: 'Canaries', icon: Bird },
  { href: '/quality', label: 'Source quality', icon: Activity },
  { href: '/instruments', label: 'Instruments', icon: Search },
  { href: '/accounts', label: 'Accounts', icon: KeyRound },
  { href: '/logs', label: 'Live log', icon: ScrollText },
  { href: '/audit', label: 'Audit log', icon: FileClock },
] as const;

export function Shell({ children }: { children: React.ReactNode }): React.JSX.Element {
  const router = useRouter();
  const pathname = usePathname();
  const session = useSession();
  const connection = useLive((s) => s.connection);
  const overview = useLive((s) => s.overview);

  useEffect(() => {
    setAuthLostHandler((why) => {
      stopLive();
      useSession.getState().set({ status: 'out' });
      router.replace(why === 'must_change' ? '/login?change=1' : '/login');
    });
    let cancelled = false;
    api<{ user: string; must_change: boolean }>('GET', '/session').then((s) => {
      if (cancelled) return;
      if (s.must_change) {
        router.replace('/login?change=1');
        return;
      }
      useSession.getState().set({ status: 'in', user: s.user });
      // A refused WebSocket may mean the session ended: asking the API finds out (and redirects on 401).
      startLive(() => void api('GET', '/session').catch(() => {}));
    }, () => {
      if (!cancelled) router.replace('/login');
    });
    return () => {
      cancelled = true;
    };
  }, [router]);

  if (session.status !== 'in') {
    return <main className="mx-auto max-w-md p-8"><Loading label="Checking the session" rows={1} /></main>;
  }

  const logout = async (): Promise<void> => {
    await api('POST', '/logout').catch(() => {});
    stopLive();
    useSession.getState().set({ status: 'out' });
    router.replace('/login');
  };

  return (
    <div className="flex min-h-screen">
      <nav aria-label="Main" className="flex w-52 shrink-0 flex-col gap-1 border-r bg-muted/40 p-3">
        <div className="mb-3 flex items-center gap-2 px-2 text-base font-semibold"><BadgeCheck className="size-5" aria-hidden />mdhub</div>
        {NAV.map(({ href, label, icon: Icon }) => {
          const active = href === '/' ? pathname === '/' : pathname.startsWith(href);
          return (
            <Link key={href} href={href} aria-current={active ? 'page' : undefined}
              className={cn('flex items-center gap-2 rounded-md px-2 py-1.5 text-sm hover:bg-muted', active && 'bg-background font-medium shadow-sm')}>
              <Icon className="size-4" aria-hidden />{label}
            </Link>
          );
        })}
      </nav>
      <div className="flex min-w-0 flex-1 flex-col">
        <header className="flex items-center gap-3 border-b px-4 py-2 text-sm">
          <span className="font-medium">{overview ? `hub ${overview.hub_id}` : 'hub'}</span>
          {overview?.simulated ? (
            <span role="note" className="rounded-md bg-warn/30 px-2 py-0.5 text-xs font-semibold uppercase tracking-wide">Simulated sources: not market data</span>
          ) : null}
          <span className="ml-auto flex items-center gap-2 text-xs text-muted-foreground" role="status" aria-label={`live connection ${connection}`}>
            <span className={cn('inline-block size-2 rounded-full', connection === 'open' ? 'bg-ok' : connection === 'connecting' ? 'bg-warn' : 'bg-bad')} aria-hidden />
            {connection === 'open' ? 'live' : connection === 'connecting' ? 'connecting…' : 'reconnecting…'}
          </span>
          <span className="text-xs">{session.user}</span>
          <Button variant="ghost" size="sm" onClick={() => void logout()}><LogOut aria-hidden />Log out</Button>
        </header>
        <main className="min-w-0 flex-1 p-4">{children}</main>
      </div>
    </div>
  );
}

/** A page's heading and its one-line purpose. */
export function PageHeader({ title, description, children }: { title: string; description?: string; children?: React.ReactNode }): React.JSX.Element {
  return (
    <div className="mb-4 flex flex-wrap items-end gap-3">
      <div className="flex-1">
        <h1 className="text-xl font-semibold">{title}</h1>
        {description ? <p className="text-sm text-muted-foreground">{description}</p> : null}
      </div>
      {children}
    </div>
  );
}
