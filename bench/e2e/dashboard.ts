/**
 * `--dashboard`: the main hub run with the dashboard open on its overview page in Debian's Chromium (a
 * logged-in admin, the live WebSocket subscribed to every topic), to compare the tick path with and
 * without the live views. The browser starts before the warm-up, so its own start is not measured.
 */
import fs from 'node:fs';
import type { Browser } from 'playwright-core';

const CHROMIUM = '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export interface OpenDashboard {
  /** Live messages the page received (from its WebSocket) while open. */
  messages(): Promise<number>;
  close(): Promise<void>;
}

export async function openDashboard(http: string): Promise<OpenDashboard> {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`--dashboard needs Debian's Chromium at ${CHROMIUM} (apt-get install -y chromium)`);
  const base = `http://${http}`;
  // A session: the default admin changes its password through the API first.
  const login = await fetch(`${base}/api/login`, { method: 'POST', body: JSON.stringify({ username: 'admin', password: '123456' }) });
  if (!login.ok) throw new Error(`dashboard login: HTTP ${login.status}`);
  const { token } = (await login.json()) as { token: string };
  const pw = await fetch(`${base}/api/password`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: JSON.stringify({ current: '123456', new: 'bench-dashboard-pw' }) });
  if (!pw.ok) throw new Error(`dashboard password change: HTTP ${pw.status}`);
  const { chromium } = await import('playwright-core');
  const browser: Browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
  const context = await browser.newContext({ viewport: { width: 1366, height: 850 } });
  const url = new URL(base);
  await context.addCookies([{ name: 'mdhub_session', value: token, domain: url.hostname, path: '/', httpOnly: true, sameSite: 'Strict' }]);
  const page = await context.newPage();
  let received = 0;
  page.on('websocket', (ws) => ws.on('framereceived', () => { received++; }));
  await page.goto(`${base}/`);
  await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor({ timeout: 30_000 });
  await page.getByRole('status', { name: 'live connection open' }).waitFor({ timeout: 30_000 });
  return {
    messages: async () => received,
    close: async () => {
      await browser.close();
    },
  };
}
