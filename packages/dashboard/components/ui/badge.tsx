import * as React from 'react';
import { cva, type VariantProps } from 'class-variance-authority';
import { cn } from '@/lib/utils';

const badgeVariants = cva('inline-flex items-center rounded-md border px-2 py-0.5 text-xs font-medium whitespace-nowrap', {
  variants: {
    tone: {
      neutral: 'bg-muted text-foreground',
      ok: 'border-transparent bg-ok/15 text-[oklch(0.42_0.13_150)]',
      warn: 'border-transparent bg-warn/25 text-[oklch(0.45_0.12_65)]',
      bad: 'border-transparent bg-bad/15 text-[oklch(0.48_0.2_27)]',
      info: 'border-transparent bg-sky-100 text-sky-800',
    },
  },
  defaultVariants: { tone: 'neutral' },
});

export function Badge({ className, tone, ...props }: React.HTMLAttributes<HTMLSpanElement> & VariantProps<typeof badgeVariants>): React.JSX.Element {
  return <span className={cn(badgeVariants({ tone }), className)} {...props} />;
}
