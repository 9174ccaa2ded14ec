'use client';
import * as React from 'react';
import * as DialogPrimitive from '@radix-ui/react-dialog';
import * as AlertPrimitive from '@radix-ui/react-alert-dialog';
import { cn } from '@/lib/utils';

const overlay = 'fixed inset-0 z-50 bg-black/40';
const panel = 'fixed left-1/2 top-1/2 z-50 grid w-full max-w-lg -translate-x-1/2 -translate-y-1/2 gap-4 rounded-lg border bg-background p-6 shadow-lg';

export const Dialog = DialogPrimitive.Root;
export const DialogTrigger = DialogPrimitive.Trigger;
export const DialogClose = DialogPrimitive.Close;
export function DialogContent({ className, children, ...props }: React.ComponentPropsWithoutRef<typeof DialogPrimitive.Content>): React.JSX.Element {
  return (
    <DialogPrimitive.Portal>
      <DialogPrimitive.Overlay className={overlay} />
      <DialogPrimitive.Content className={cn(panel, className)} {...props}>
        {children}
      </DialogPrimitive.Content>
    </DialogPrimitive.Portal>
  );
}
export const DialogTitle = ({ className, ...p }: React.ComponentPropsWithoutRef<typeof DialogPrimitive.Title>): React.JSX.Element => <DialogPrimitive.Title className={cn('text-lg font-semibold', className)} {...p} />;
export const DialogDescription = ({ className, ...p }: React.ComponentPropsWithoutRef<typeof DialogPrimitive.Description>): React.JSX.Element => (
  <DialogPrimitive.Description className={cn('text-sm text-muted-foreground', className)} {...p} />
);

/** A confirmation: the action runs only after the second, explicit click. */
export function Confirm({ open, onOpenChange, title, description, action, destructive, onConfirm }: {
  open: boolean; onOpenChange: (open: boolean) => void; title: string; description: string; action: string; destructive?: boolean; onConfirm: () => void;
}): React.JSX.Element {
  return (
    <AlertPrimitive.Root open={open} onOpenChange={onOpenChange}>
      <AlertPrimitive.Portal>
        <AlertPrimitive.Overlay className={overlay} />
        <AlertPrimitive.Content className={panel}>
          <AlertPrimitive.Title className="text-lg font-semibold">{title}</AlertPrimitive.Title>
          <AlertPrimitive.Description className="text-sm text-muted-foreground">{description}</AlertPrimitive.Description>
          <div className="flex justify-end gap-2">
            <AlertPrimitive.Cancel className="h-9 rounded-md border px-4 text-sm hover:bg-muted">Cancel</AlertPrimitive.Cancel>
            <AlertPrimitive.Action
              className={cn('h-9 rounded-md px-4 text-sm text-primary-foreground', destructive ? 'bg-destructive hover:bg-destructive/90' : 'bg-primary hover:bg-primary/90')}
              onClick={onConfirm}
            >
              {action}
            </AlertPrimitive.Action>
          </div>
        </AlertPrimitive.Content>
      </AlertPrimitive.Portal>
    </AlertPrimitive.Root>
  );
}
