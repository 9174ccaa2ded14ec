'use client';
/**
 * Broker accounts: list, add, edit, enable or disable, remove. Secrets are write-only: the page shows
 * whether one is set, never the secret; editing leaves a secret as it is unless a new one is typed.
 */
import { useCallback, useEffect, useState } from 'react';
import { Pencil, Plus, Trash2 } from 'lucide-react';
import { api, describe } from '@/lib/api';
import { time } from '@/lib/utils';
import { PageHeader } from '@/components/shell';
import { Badge } from '@/components/ui/badge';
import { Button } from '@/components/ui/button';
import { Confirm, Dialog, DialogContent, DialogDescription, DialogTitle } from '@/components/ui/dialog';
import { Input, Select } from '@/components/ui/input';
import { Label } from '@/components/ui/label';
import { Switch } from '@/components/ui/switch';
import { Card, CardContent } from '@/components/ui/card';
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from '@/components/ui/table';
import { Empty, ErrorState, Loading } from '@/components/states';

interface Account {
  id: string;
  kind: 'ctp' | 'sopt';
  broker_id: string;
  user_id: string;
  fronts: string[];
  app_id: string;
  notes: string;
  enabled?: boolean;
  has_password: boolean;
  has_auth_code: boolean;
  updated_at: number;
}

interface Form {
  id: string;
  kind: 'ctp' | 'sopt';
  broker_id: string;
  user_id: string;
  fronts: string;
  app_id: string;
  notes: string;
  password: string;
  auth_code: string;
}

const EMPTY: Form = { id: '', kind: 'ctp', broker_id: '', user_id: '', fronts: '', app_id: '', notes: '', password: '', auth_code: '' };

function AccountDialog({ editing, open, onOpenChange, onSaved }: { editing: Account | null; open: boolean; onOpenChange: (o: boolean) => void; onSaved: (text: string) => void }): React.JSX.Element {
  const [form, setForm] = useState<Form>(EMPTY);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    if (!open) return;
    setError(null);
    setForm(editing ? { ...EMPTY, id: editing.id, kind: editing.kind, broker_id: editing.broker_id, user_id: editing.user_id, fronts: editing.fronts.join('\n'), app_id: editing.app_id, notes: editing.notes } : EMPTY);
  }, [open, editing]);
  const field = (k: keyof Form) => (e: React.ChangeEvent<HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement>): void => setForm({ ...form, [k]: e.target.value });

  const save = async (e: React.FormEvent): Promise<void> => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    const fronts = form.fronts.split(/[\s,]+/).map((x) => x.trim()).filter((x) => x !== '');
    const common = { kind: form.kind, broker_id: form.broker_id.trim(), user_id: form.user_id.trim(), fronts, app_id: form.app_id.trim(), notes: form.notes, ...(form.password ? { password: form.password } : {}), ...(form.auth_code ? { auth_code: form.auth_code } : {}) };
    try {
      if (editing) await api('PATCH', `/accounts/${encodeURIComponent(editing.id)}`, common);
      else await api('POST', '/accounts', { id: form.id.trim(), ...common });
      onSaved(editing ? `Account ${editing.id} saved` : `Account ${form.id.trim()} added`);
      onOpenChange(false);
    } catch (err) {
      setError(describe(err));
    } finally {
      setBusy(false);
    }
  };

  const row = 'flex flex-col gap-1.5';
  return (
    <Dialog open={open} onOpenChange={onOpenChange}>
      <DialogContent className="max-w-xl">
        <DialogTitle>{editing ? `Edit account ${editing.id}` : 'Add an account'}</DialogTitle>
        <DialogDescription>Secrets are stored encrypted and never shown again{editing ? '; leave them empty to keep the stored ones' : ''}.</DialogDescription>
        <form className="grid grid-cols-2 gap-3" onSubmit={(e) => void save(e)}>
          <div className={row}><Label htmlFor="acc-id">Account id</Label><Input id="acc-id" required disabled={editing !== null} value={form.id} onChange={field('id')} placeholder="broker-a" /></div>
          <div className={row}><Label htmlFor="acc-kind">Kind</Label>
            <Select id="acc-kind" value={form.kind} onChange={field('kind')}><option value="ctp">CTP (futures)</option><option value="sopt">SOPT (stock options)</option></Select></div>
          <div className={row}><Label htmlFor="acc-broker">Broker id</Label><Input id="acc-broker" required value={form.broker_id} onChange={field('broker_id')} placeholder="9999" /></div>
          <div className={row}><Label htmlFor="acc-user">User id</Label><Input id="acc-user" required value={form.user_id} onChange={field('user_id')} /></div>
          <div className={`${row} col-span-2`}><Label htmlFor="acc-fronts">Market-data fronts</Label>
            <textarea id="acc-fronts" required rows={2} className="rounded-md border bg-background px-3 py-1.5 font-mono text-sm" value={form.fronts} onChange={field('fronts')} placeholder="tcp://180.168.146.187:10211" /></div>
          <div className={row}><Label htmlFor="acc-password">Password</Label><Input id="acc-password" type="password" autoComplete="new-password" value={form.password} onChange={field('password')} placeholder={editing?.has_password ? 'set (unchanged)' : 'not set'} /></div>
          <div className={row}><Label htmlFor="acc-auth">Auth code</Label><Input id="acc-auth" type="password" autoComplete="off" value={form.auth_code} onChange={field('auth_code')} placeholder={editing?.has_auth_code ? 'set (unchanged)' : 'not set'} /></div>
          <div className={row}><Label htmlFor="acc-app">App id</Label><Input id="acc-app" value={form.app_id} onChange={field('app_id')} /></div>
          <div className={row}><Label htmlFor="acc-notes">Notes</Label><Input id="acc-notes" value={form.notes} onChange={field('notes')} /></div>
          {error ? <p role="alert" className="col-span-2 text-sm text-bad">{error}</p> : null}
          <div className="col-span-2 flex justify-end gap-2">
            <Button type="button" variant="outline" onClick={() => onOpenChange(false)}>Cancel</Button>
            <Button type="submit" disabled={busy}>{busy ? 'Saving…' : editing ? 'Save account' : 'Add account'}</Button>
          </div>
        </form>
      </DialogContent>
    </Dialog>
  );
}

export default function AccountsPage(): React.JSX.Element {
  const [accounts, setAccounts] = useState<Account[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [dialog, setDialog] = useState<{ open: boolean; editing: Account | null }>({ open: false, editing: null });
  const [removing, setRemoving] = useState<Account | null>(null);
  const [toggling, setToggling] = useState<{ account: Account; enabled: boolean } | null>(null);
  const [result, setResult] = useState<{ ok: boolean; text: string } | null>(null);

  const load = useCallback((): void => {
    api<{ accounts: Account[] }>('GET', '/accounts').then((r) => {
      setAccounts(r.accounts);
      setError(null);
    }, (e: unknown) => setError(describe(e)));
  }, []);
  useEffect(load, [load]);

  const act = async (text: string, fn: () => Promise<unknown>): Promise<void> => {
    try {
      await fn();
      setResult({ ok: true, text });
    } catch (e) {
      setResult({ ok: false, text: describe(e) });
    }
    load();
  };

  return (
    <div>
      <PageHeader title="Accounts" description="Broker accounts the CTP and SOPT gateways log in with. A disabled account's gateways do not run.">
        <Button onClick={() => setDialog({ open: true, editing: null })}><Plus aria-hidden />Add account</Button>
      </PageHeader>
      {result ? <p role="status" className={result.ok ? 'mb-3 text-sm text-ok' : 'mb-3 text-sm text-bad'}>{result.text}</p> : null}
      {error ? <div className="mb-3"><ErrorState message={error} onRetry={load} /></div> : null}
      <Card>
        <CardContent className="pt-4">
          {!accounts ? (error ? null : <Loading label="Loading accounts" />) : accounts.length === 0 ? <Empty title="No accounts yet" hint="simulated gateways need none; CTP and SOPT gateways log in with one" /> : (
            <Table aria-label="Accounts">
              <TableHeader>
                <TableRow><TableHead>Account</TableHead><TableHead>Kind</TableHead><TableHead>Broker</TableHead><TableHead>User</TableHead><TableHead>Fronts</TableHead><TableHead>Password</TableHead><TableHead>Auth code</TableHead><TableHead>Enabled</TableHead><TableHead>Changed</TableHead><TableHead>Actions</TableHead></TableRow>
              </TableHeader>
              <TableBody>
                {accounts.map((a) => (
                  <TableRow key={a.id} aria-label={`account ${a.id}`}>
                    <TableCell><div className="font-medium">{a.id}</div>{a.notes ? <div className="text-xs text-muted-foreground">{a.notes}</div> : null}</TableCell>
                    <TableCell>{a.kind.toUpperCase()}</TableCell>
                    <TableCell>{a.broker_id}</TableCell>
                    <TableCell>{a.user_id}</TableCell>
                    <TableCell className="font-mono text-xs">{a.fronts.join(', ')}</TableCell>
                    <TableCell>{a.has_password ? <span aria-label="password set">••••••</span> : <Badge tone="warn">not set</Badge>}</TableCell>
                    <TableCell>{a.has_auth_code ? <span aria-label="auth code set">••••••</span> : <span className="text-xs text-muted-foreground">not set</span>}</TableCell>
                    <TableCell>
                      {a.enabled === undefined ? '–' : <Switch checked={a.enabled} aria-label={`Enabled ${a.id}`} onCheckedChange={(v) => setToggling({ account: a, enabled: v })} />}
                    </TableCell>
                    <TableCell className="whitespace-nowrap text-xs">{time(a.updated_at)}</TableCell>
                    <TableCell>
                      <div className="flex gap-1">
                        <Button size="sm" variant="outline" aria-label={`Edit ${a.id}`} onClick={() => setDialog({ open: true, editing: a })}><Pencil aria-hidden />Edit</Button>
                        <Button size="sm" variant="outline" aria-label={`Remove ${a.id}`} onClick={() => setRemoving(a)}><Trash2 aria-hidden />Remove</Button>
                      </div>
                    </TableCell>
                  </TableRow>
                ))}
              </TableBody>
            </Table>
          )}
        </CardContent>
      </Card>
      <AccountDialog open={dialog.open} editing={dialog.editing} onOpenChange={(o) => setDialog({ ...dialog, open: o })} onSaved={(text) => { setResult({ ok: true, text }); load(); }} />
      <Confirm open={removing !== null} onOpenChange={(o) => { if (!o) setRemoving(null); }} title={`Remove account ${removing?.id ?? ''}?`}
        description="Its stored secrets are deleted. An account a gateway still uses cannot be removed." action="Remove" destructive
        onConfirm={() => { const a = removing; setRemoving(null); if (a) void act(`Account ${a.id} removed`, () => api('DELETE', `/accounts/${encodeURIComponent(a.id)}`)); }} />
      <Confirm open={toggling !== null} onOpenChange={(o) => { if (!o) setToggling(null); }} title={`${toggling?.enabled ? 'Enable' : 'Disable'} account ${toggling?.account.id ?? ''}?`}
        description={toggling?.enabled ? 'Its gateways start again on every hub.' : 'Its gateways stop on every hub until it is enabled again.'} action={toggling?.enabled ? 'Enable' : 'Disable'} destructive={toggling?.enabled === false}
        onConfirm={() => { const t = toggling; setToggling(null); if (t) void act(`Account ${t.account.id} ${t.enabled ? 'enabled' : 'disabled'}`, () => api('POST', `/accounts/${encodeURIComponent(t.account.id)}/${t.enabled ? 'enable' : 'disable'}`)); }} />
    </div>
  );
}
