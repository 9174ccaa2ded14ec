/// <reference lib="dom" />
/**
 * The dashboard in a real browser (Debian's Chromium driven by playwright-core) against a hub on simulated
 * sources, as an admin uses it, finding every control by its accessible name: log in and change the
 * default password; add an account (its secret never comes back); restart a gateway and watch it go
 * through restarting back to ok; stall a source and see its canary go stale and the source-quality page
 * show it; disable the account a gateway uses and filter the live log to the error that says why; the API
 * refuses an anonymous request and a visitor without a session lands on the login page.
 *
 * With MDHUB_SCREENSHOTS=DIR it saves a screenshot of each page there (docs/img is made that way).
 * Without Chromium the suite is skipped and says so (CI installs it and sets MDHUB_REQUIRE_ALL=1, which
 * turns a skip into a failure).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { simLibrary, simLibraryMissing } from '@mdhub/vendor-sim';
import { mdhub, startHubProcess, waitFor } from './helpers.js';
import type { HubProcess } from './helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const DASHBOARD = path.resolve(import.meta.dirname, '../../packages/dashboard/out/index.html');
const missing = !fs.existsSync(CHROMIUM) ? `Chromium is not installed (${CHROMIUM}: apt-get install -y chromium)`
  : !fs.existsSync(DASHBOARD) ? `the dashboard is not built (${DASHBOARD}: npm run build:dashboard)`
  : simLibraryMissing() !== null ? `the vendor-ABI simulator library is not built: ${simLibraryMissing()}` : null;
if (missing) console.warn(`SKIPPED dashboard browser tests: ${missing}`);
const SHOTS = process.env['MDHUB_SCREENSHOTS'];
const PASSWORD = 'e2e-dashboard-pw';

let hub: HubProcess;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let base: string;
const pageErrors: string[] = [];

async function shot(name: string): Promise<void> {
  if (!SHOTS) return;
  fs.mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`) });
}

async function go(link: string, heading: string): Promise<void> {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: link, exact: true }).click();
  await page.getByRole('heading', { level: 1, name: heading }).waitFor();
}

describe.skipIf(missing !== null)('dashboard in Chromium', () => {
  beforeAll(async () => {
    hub = await startHubProcess();
    base = `http://${hub.ready.http}`;
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
    context = await browser.newContext({ viewport: { width: 1366, height: 850 } });
    page = await context.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await hub?.stop();
  });

  it('an anonymous visitor lands on the login page, and the API refuses an anonymous request', async () => {
    await page.goto(`${base}/gateways`);
    await page.getByRole('heading', { name: 'Log in to mdhub' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/login');
    const r = await page.request.get(`${base}/api/gateways`);
    expect(r.status()).toBe(401);
    expect(((await r.json()) as { error: { code: string } }).error.code).toBe('MDH_ERR_API_UNAUTHORIZED');
    expect((await page.request.post(`${base}/api/gateways/sim-a/restart`)).status()).toBe(401);
    // the pages themselves are static files anyone may load; they hold no data
    expect((await page.request.get(`${base}/accounts`)).status()).toBe(200);
  });

  it('logs in as admin, must change the default password, then reaches the overview', async () => {
    await page.getByLabel('User name').fill('admin');
    await page.getByLabel('Password', { exact: true }).fill('wrong-password');
    await page.getByRole('button', { name: 'Log in' }).click();
    // (Next.js has a route announcer of its own with role alert: the form's is inside the main landmark)
    const formAlert = page.getByRole('main').getByRole('alert');
    await formAlert.waitFor();
    expect(await formAlert.innerText()).toContain('MDH_ERR_API_BAD_LOGIN');
    await shot('login');
    await page.getByLabel('Password', { exact: true }).fill('123456');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('heading', { name: 'Choose a new password' }).waitFor();
    // the session exists but may do nothing else yet
    expect((await page.request.get(`${base}/api/gateways`)).status()).toBe(403);
    await page.getByLabel('New password', { exact: true }).fill('short');
    await page.getByLabel('Repeat the new password').fill('short');
    await page.getByRole('button', { name: 'Change password' }).click();
    await waitFor('the bad-password error', async () => (await formAlert.innerText()).includes('MDH_ERR_USER_BAD_PASSWORD'), 10_000, 100);
    await page.getByLabel('New password', { exact: true }).fill(PASSWORD);
    await page.getByLabel('Repeat the new password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();

    // the overview: simulated said plainly, the three sources, ticks flowing, the hub's latency
    await page.getByRole('note').filter({ hasText: 'simulated sources' }).first().waitFor();
    const sources = page.getByRole('table', { name: 'Sources' });
    for (const id of ['sim-a', 'sim-b', 'sim-c']) await sources.getByRole('cell', { name: id, exact: true }).waitFor();
    await waitFor('ticks published on the overview', async () => {
      const text = await page.getByRole('region', { name: 'Key figures' }).innerText();
      const m = /Published ticks\/s\s+([\d,]+)/.exec(text);
      return m && Number(m[1]!.replace(/,/g, '')) > 0 && /\d ms \/ [\d.]+ ms/.test(text);
    }, 20_000, 250);
    await page.getByRole('img', { name: /Published ticks per second/ }).waitFor();
    await shot('overview');
    const audit = (await (await page.request.get(`${base}/api/audit?action=user.reset-password`)).json()) as { audit: Array<{ actor: string }> };
    expect(audit.audit.some((a) => a.actor === 'admin')).toBe(true);
  });

  it('adds an account; its password is shown masked and never comes back from the API', async () => {
    await go('Accounts', 'Accounts');
    await page.getByRole('button', { name: 'Add account' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add an account' });
    await dialog.getByLabel('Account id').fill('broker-e2e');
    await dialog.getByLabel('Broker id').fill('9999');
    await dialog.getByLabel('User id').fill('081234');
    await dialog.getByLabel('Market-data fronts').fill('not-a-front');
    await dialog.getByRole('button', { name: 'Add account' }).click();
    await dialog.getByRole('alert').waitFor(); // a bad front address is a named error, shown in the form
    expect(await dialog.getByRole('alert').innerText()).toContain('MDH_ERR_API_BAD_REQUEST');
    // loopback ports nothing listens on: the gateway below tries them and never reaches a front
    await dialog.getByLabel('Market-data fronts').fill('tcp://127.0.0.1:9\ntcp://127.0.0.1:10');
    await dialog.getByLabel('Password').fill('s3cret-broker-pw');
    await dialog.getByRole('button', { name: 'Add account' }).click();
    await dialog.waitFor({ state: 'detached' });
    const row = page.getByRole('row', { name: 'account broker-e2e' });
    await row.waitFor();
    await row.getByLabel('password set').waitFor();
    expect(await page.content()).not.toContain('s3cret-broker-pw');
    await shot('accounts');
    const body = await (await page.request.get(`${base}/api/accounts`)).text();
    expect(body).toContain('broker-e2e');
    expect(body).not.toContain('s3cret-broker-pw');
    const audit = (await (await page.request.get(`${base}/api/audit?action=account.add`)).json()) as { audit: Array<{ actor: string; target: string }> };
    expect(audit.audit).toEqual(expect.arrayContaining([expect.objectContaining({ actor: 'admin', target: 'broker-e2e' })]));
  });

  it('restarts a gateway after a confirmation and watches it go through restarting back to ok', async () => {
    await go('Gateways', 'Gateways');
    const row = page.getByRole('row', { name: 'gateway sim-b' });
    await row.getByText('ok', { exact: true }).waitFor();
    const pidBefore = Number(await row.getByRole('cell').nth(8).innerText());
    // Every health word the row shows, recorded in the page as React renders it.
    await row.evaluate((tr) => {
      const seen: string[] = [];
      (window as unknown as { seen: string[] }).seen = seen;
      const rec = (): void => {
        const t = ((tr as HTMLTableRowElement).cells[3]?.innerText ?? '').split('\n')[0]!.trim();
        if (seen.at(-1) !== t) seen.push(t);
      };
      rec();
      new MutationObserver(rec).observe(tr, { subtree: true, childList: true, characterData: true });
    });
    await row.getByRole('button', { name: 'Restart sim-b' }).click();
    const confirm = page.getByRole('alertdialog', { name: 'Restart sim-b?' });
    await confirm.getByRole('button', { name: 'Cancel' }).click(); // cancelling does nothing
    await confirm.waitFor({ state: 'detached' });
    await row.getByRole('button', { name: 'Restart sim-b' }).click();
    await page.getByRole('alertdialog', { name: 'Restart sim-b?' }).getByRole('button', { name: 'Restart' }).click();
    await page.getByRole('status').filter({ hasText: 'Restart sim-b: done' }).waitFor();
    await waitFor('sim-b restarting then ok again', async () => {
      const seen = await page.evaluate(() => (window as unknown as { seen: string[] }).seen);
      const r = seen.indexOf('restarting');
      return r >= 0 && seen.slice(r + 1).includes('ok');
    }, 30_000, 100);
    const pidAfter = Number(await row.getByRole('cell').nth(8).innerText());
    expect(pidAfter).not.toBe(pidBefore);
    expect(await row.getByRole('cell').nth(6).innerText()).toBe('1'); // restarts
    await shot('gateways');
    const audit = (await (await page.request.get(`${base}/api/audit?action=gateway.restart`)).json()) as { audit: Array<{ actor: string; target: string }> };
    expect(audit.audit).toEqual(expect.arrayContaining([expect.objectContaining({ actor: 'admin', target: 'sim-b' })]));
  });

  it('a stalled source: its canary goes stale and the source-quality page shows it', async () => {
    await go('Canaries', 'Canaries');
    const table = page.getByRole('table', { name: 'Canaries by source' });
    await table.getByRole('cell', { name: /^sim-c on rb\d+\.SHFE: fresh/ }).waitFor({ timeout: 20_000 });
    await mdhub(['gateway', 'control', 'sim-c', 'stall', 'ms=25000', '--data-dir', hub.dataDir]);
    await table.getByRole('cell', { name: /^sim-c on rb\d+\.SHFE: stale/ }).waitFor({ timeout: 15_000 });
    // the other sources stay fresh
    await table.getByRole('cell', { name: /^sim-a on rb\d+\.SHFE: fresh/ }).waitFor();
    await shot('canaries');
    await go('Source quality', 'Source quality');
    const row = page.getByRole('row', { name: 'quality sim-c' });
    await row.getByText('stale', { exact: true }).waitFor({ timeout: 15_000 });
    await waitFor('sim-c delivers nothing on the quality page', async () => (await row.getByRole('cell').nth(2).innerText()) === '0', 10_000, 200);
    await page.getByRole('img', { name: /^Win share/ }).waitFor();
    await page.getByRole('row', { name: 'quality sim-a' }).getByText('ok', { exact: true }).waitFor();
    await shot('quality');
  });

  it('instruments: search by symbol shows the last state, its data state and the winning source', async () => {
    await go('Instruments', 'Instruments');
    await page.getByLabel('Search instruments').fill('rb');
    await page.getByRole('button', { name: 'Search' }).click();
    const table = page.getByRole('table', { name: 'Instruments' });
    await table.getByRole('cell', { name: /^rb\d+\.SHFE/ }).first().waitFor();
    const rows = await table.getByRole('row').allInnerTexts();
    expect(rows.length).toBeGreaterThan(1);
    for (const r of rows.slice(1)) expect(r).toMatch(/^rb\d+\.SHFE/);
    expect(rows.slice(1).join('\n')).toMatch(/\bok\b/);
    expect(rows.slice(1).join('\n')).toMatch(/sim-[abc]/);
    await shot('instruments');
    await page.getByLabel('Search instruments').fill('nothing-like-this');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByText('No instrument matches').waitFor();
  });

  it("disabling an account stops its gateway; the live log filtered to errors shows why", async () => {
    // a CTP gateway (on the vendor-ABI simulator library) that logs in with the account; its fronts answer nothing
    await mdhub(['gateway', 'add', '--name', 'ctp-e2e', '--plugin', '@mdhub/gateway-ctp', '--account', 'broker-e2e', '--data-dir', hub.dataDir,
      '--config', JSON.stringify({ library: simLibrary('ctp-6.7.7'), flavour: 'ctp-6.7.7', simulated: true, flow_dir: path.join(hub.dataDir, 'ctp-flow') })]);
    await go('Gateways', 'Gateways');
    const gw = page.getByRole('row', { name: 'gateway ctp-e2e' });
    await waitFor('ctp-e2e running', async () => /^\d+$/.test(await gw.getByRole('cell').nth(8).innerText()), 20_000, 200);
    await go('Accounts', 'Accounts');
    await page.getByRole('row', { name: 'account broker-e2e' }).getByRole('switch', { name: 'Enabled broker-e2e' }).click();
    await page.getByRole('alertdialog', { name: 'Disable account broker-e2e?' }).getByRole('button', { name: 'Disable' }).click();
    await page.getByRole('status').filter({ hasText: 'Account broker-e2e disabled' }).waitFor();
    await waitFor('ctp-e2e stopped', async () => {
      const h = (await (await page.request.get(`${base}/api/health`)).json()) as { sources: Array<{ id: string }> };
      return !h.sources.some((s) => s.id === 'ctp-e2e');
    }, 20_000, 200);

    await go('Live log', 'Live log');
    const log = page.getByRole('log', { name: 'Log lines' });
    await log.getByText('MDH_ERR_ACCOUNT_DISABLED').first().waitFor({ timeout: 15_000 });
    const count = page.getByRole('status').filter({ hasText: ' lines' });
    const all = Number(/^([\d,]+) of/.exec(await count.innerText())![1]!.replace(/,/g, ''));
    await page.getByLabel('Level').selectOption('error');
    await waitFor('the log filtered to errors', async () => Number(/^([\d,]+) of/.exec(await count.innerText())![1]!.replace(/,/g, '')) < all, 5000, 100);
    const levels = await log.locator('[data-level]').evaluateAll((els) => els.map((e) => e.getAttribute('data-level')));
    expect(levels.length).toBeGreaterThan(0);
    expect(new Set(levels)).toEqual(new Set(['error']));
    await log.getByText('MDH_ERR_ACCOUNT_DISABLED').first().waitFor();
    await shot('logs');
    await page.getByLabel('Filter text').fill('ctp-e2e');
    await log.getByText(/gateway ctp-e2e not started/).first().waitFor();
    await page.getByRole('button', { name: 'Pause' }).click();
    await page.getByRole('button', { name: 'Resume' }).waitFor();
    await page.getByLabel('Level').selectOption('info');
    await page.getByLabel('Filter text').fill('');
    await page.getByRole('button', { name: 'Resume' }).click();

    await go('Audit log', 'Audit log');
    await page.getByLabel('Filter audit log').fill('account.disable');
    await page.getByRole('table', { name: 'Audit log' }).getByRole('cell', { name: 'account.disable' }).first().waitFor();
    await page.getByLabel('Filter audit log').fill('');
    await shot('audit');

    // back on the overview: the hub is degraded and says why; the alerts of the run are listed
    await go('Overview', 'Overview');
    await page.getByRole('list', { name: 'Active problems' }).getByText(/ctp-e2e/).waitFor({ timeout: 10_000 });
    await page.getByRole('list', { name: 'Recent alerts' }).getByText(/sim-c/).first().waitFor();
    await page.waitForTimeout(3000); // a few points on the charts
    await shot('overview');
  });

  it('logging out ends the session: the pages send the visitor back to the login', async () => {
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByRole('heading', { name: 'Log in to mdhub' }).waitFor();
    expect((await page.request.get(`${base}/api/gateways`)).status()).toBe(401);
    await page.goto(`${base}/quality`);
    await page.getByRole('heading', { name: 'Log in to mdhub' }).waitFor();
    expect(pageErrors).toEqual([]);
  });
});
