'use client';
/**
 * Log in; the default admin (and any user an admin reset) must choose a new password before anything
 * else works, so that step follows at once.
 */
import { useRouter } from 'next/navigation';
import { useEffect, useState } from 'react';
import { api, describe } from '@/lib/api';
import { Button } from '@/components/ui/button';
import { Input } from '@/components/ui/input';
import { Label } from '@/components/ui/label';
import { Card, CardContent, CardDescription, CardHeader } from '@/components/ui/card';

export default function LoginPage(): React.JSX.Element {
  const router = useRouter();
  const [step, setStep] = useState<'login' | 'change'>('login');
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [current, setCurrent] = useState<string | null>(null);
  const [next, setNext] = useState('');
  const [confirm, setConfirm] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  // The page is static HTML until React takes over: the buttons wait for that (a click before it would submit the form natively).
  const [ready, setReady] = useState(false);

  useEffect(() => {
    setReady(true);
    // Sent here to change the password (the session exists but must change it first)?
    if (new URLSearchParams(window.location.search).has('change')) {
      api<{ user: string; must_change: boolean }>('GET', '/session').then((s) => {
        if (s.must_change) setStep('change');
        else router.replace('/');
      }, () => {});
    }
  }, [router]);

  const login = async (e: React.FormEvent): Promise<void> => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const r = await api<{ must_change: boolean }>('POST', '/login', { username, password });
      if (r.must_change) {
        setCurrent(password);
        setStep('change');
      } else {
        router.replace('/');
      }
    } catch (err) {
      setError(describe(err));
    } finally {
      setBusy(false);
    }
  };

  const change = async (e: React.FormEvent): Promise<void> => {
    e.preventDefault();
    if (next !== confirm) {
      setError('the two new passwords differ');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await api('POST', '/password', { current: current ?? '', new: next });
      router.replace('/');
    } catch (err) {
      setError(describe(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="flex min-h-screen items-center justify-center bg-muted/40 p-4">
      <Card className="w-full max-w-sm">
        {step === 'login' ? (
          <>
            <CardHeader>
              <h1 className="text-lg font-semibold leading-none">Log in to mdhub</h1>
              <CardDescription>The first time: admin / 123456, then choose a new password.</CardDescription>
            </CardHeader>
            <CardContent>
              <form className="flex flex-col gap-3" onSubmit={(e) => void login(e)}>
                <div className="flex flex-col gap-1.5"><Label htmlFor="username">User name</Label>
                  <Input id="username" autoComplete="username" required value={username} onChange={(e) => setUsername(e.target.value)} /></div>
                <div className="flex flex-col gap-1.5"><Label htmlFor="password">Password</Label>
                  <Input id="password" type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} /></div>
                {error ? <p role="alert" className="text-sm text-bad">{error}</p> : null}
                <Button type="submit" disabled={busy || !ready}>{busy ? 'Logging in…' : 'Log in'}</Button>
              </form>
            </CardContent>
          </>
        ) : (
          <>
            <CardHeader>
              <h1 className="text-lg font-semibold leading-none">Choose a new password</h1>
              <CardDescription>Nothing else works until the default password is changed: at least 8 characters, not the user name.</CardDescription>
            </CardHeader>
            <CardContent>
              <form className="flex flex-col gap-3" onSubmit={(e) => void change(e)}>
                {current === null ? (
                  <div className="flex flex-col gap-1.5"><Label htmlFor="current">Current password</Label>
                    <Input id="current" type="password" autoComplete="current-password" required onChange={(e) => setCurrent(e.target.value)} /></div>
                ) : null}
                <div className="flex flex-col gap-1.5"><Label htmlFor="new-password">New password</Label>
                  <Input id="new-password" type="password" autoComplete="new-password" required value={next} onChange={(e) => setNext(e.target.value)} /></div>
                <div className="flex flex-col gap-1.5"><Label htmlFor="confirm-password">Repeat the new password</Label>
                  <Input id="confirm-password" type="password" autoComplete="new-password" required value={confirm} onChange={(e) => setConfirm(e.target.value)} /></div>
                {error ? <p role="alert" className="text-sm text-bad">{error}</p> : null}
                <Button type="submit" disabled={busy || !ready}>{busy ? 'Saving…' : 'Change password'}</Button>
              </form>
            </CardContent>
          </>
        )}
      </Card>
    </main>
  );
}
