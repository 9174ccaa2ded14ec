import * as React from 'react';
import { cn } from '@/lib/utils';

export const Input = React.forwardRef<HTMLInputElement, React.InputHTMLAttributes<HTMLInputElement>>(({ className, ...props }, ref) => (
  <input
    ref={ref}
    className={cn('flex h-9 w-full rounded-md border bg-background px-3 py-1 text-sm shadow-sm placeholder:text-muted-foreground disabled:opacity-50', className)}
    {...props}
  />
));
Input.displayName = 'Input';

/** A native select styled like the inputs (native keeps it accessible and keyboard-friendly). */
export const Select = React.forwardRef<HTMLSelectElement, React.SelectHTMLAttributes<HTMLSelectElement>>(({ className, ...props }, ref) => (
  <select ref={ref} className={cn('flex h-9 rounded-md border bg-background px-2 py-1 text-sm shadow-sm disabled:opacity-50', className)} {...props} />
));
Select.displayName = 'Select';
