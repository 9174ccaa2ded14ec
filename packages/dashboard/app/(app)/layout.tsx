import { Shell } from '@/components/shell';

export default function AppLayout({ children }: { children: React.ReactNode }): React.JSX.Element {
  return <Shell>{children}</Shell>;
}
