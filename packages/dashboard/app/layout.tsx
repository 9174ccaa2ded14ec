import type { Metadata } from 'next';
import './globals.css';

export const metadata: Metadata = { title: 'mdhub', description: 'mdhub market-data hub dashboard' };

export default function RootLayout({ children }: { children: React.ReactNode }): React.JSX.Element {
  return (
    <html lang="en">
      <body className="antialiased">{children}</body>
    </html>
  );
}
