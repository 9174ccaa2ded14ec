import { AlertTriangle, Inbox, Loader2 } from 'lucide-react';
import { Skeleton } from './ui/skeleton';

/** Loading, empty and error states, the same on every page. */
export function Loading({ label = 'Loading', rows = 3 }: { label?: string; rows?: number }): React.JSX.Element {
  return (
    <div role="status" aria-live="polite" aria-label={label} className="flex flex-col gap-2 py-2">
      <span className="flex items-center gap-2 text-sm text-muted-foreground"><Loader2 className="size-4 animate-spin" aria-hidden />{label}…</span>
      {Array.from({ length: rows }, (_, i) => <Skeleton key={i} className="h-6 w-full" />)}
    </div>
  );
}

export function Empty({ title, hint }: { title: string; hint?: string }): React.JSX.Element {
  return (
    <div role="status" className="flex flex-col items-center gap-1 rounded-md border border-dashed py-8 text-center">
      <Inbox className="size-6 text-muted-foreground" aria-hidden />
      <p className="text-sm font-medium">{title}</p>
      {hint ? <p className="text-xs text-muted-foreground">{hint}</p> : null}
    </div>
  );
}

export function ErrorState({ message, onRetry }: { message: string; onRetry?: () => void }): React.JSX.Element {
  return (
    <div role="alert" className="flex items-start gap-3 rounded-md border border-bad/40 bg-bad/5 p-3 text-sm">
      <AlertTriangle className="mt-0.5 size-4 shrink-0 text-bad" aria-hidden />
      <div className="flex-1">
        <p className="font-medium">Something went wrong</p>
        <p className="break-words text-muted-foreground">{message}</p>
      </div>
      {onRetry ? <button type="button" className="rounded-md border px-3 py-1 text-xs hover:bg-muted" onClick={onRetry}>Try again</button> : null}
    </div>
  );
}
