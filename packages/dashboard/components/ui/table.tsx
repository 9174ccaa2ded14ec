import * as React from 'react';
import { cn } from '@/lib/utils';

export function Table({ className, ...props }: React.TableHTMLAttributes<HTMLTableElement>): React.JSX.Element {
  return (
    <div className="w-full overflow-x-auto">
      <table className={cn('w-full caption-bottom text-sm', className)} {...props} />
    </div>
  );
}
export const TableHeader = (p: React.HTMLAttributes<HTMLTableSectionElement>): React.JSX.Element => <thead className={cn('[&_tr]:border-b', p.className)} {...p} />;
export const TableBody = (p: React.HTMLAttributes<HTMLTableSectionElement>): React.JSX.Element => <tbody className={cn('[&_tr:last-child]:border-0', p.className)} {...p} />;
export const TableRow = ({ className, ...p }: React.HTMLAttributes<HTMLTableRowElement>): React.JSX.Element => <tr className={cn('border-b hover:bg-muted/50', className)} {...p} />;
export const TableHead = ({ className, ...p }: React.ThHTMLAttributes<HTMLTableCellElement>): React.JSX.Element => (
  <th scope="col" className={cn('h-9 px-2 text-left align-middle text-xs font-medium text-muted-foreground', className)} {...p} />
);
export const TableCell = ({ className, ...p }: React.TdHTMLAttributes<HTMLTableCellElement>): React.JSX.Element => <td className={cn('px-2 py-1.5 align-middle', className)} {...p} />;
