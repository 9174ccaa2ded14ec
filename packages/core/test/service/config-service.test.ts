/**
 * The configuration service, the one place that writes: validation, encrypted secrets that never come
 * back out unless asked, keys that are never silently replaced, the audit log, the desired state a hub
 * runs (accounts merged in, each unusable gateway skipped with its own named error), export and import.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigService } from '../../src/service/config-service.js';
import type { Actor } from '../../src/service/config-service.js';
import { PluginRegistry } from '../../src/plugin/registry.js';
import { openRepository } from '../../src/store/open.js';
import type { ConfigRepository } from '../../src/store/repository.js';
import { SecretBox, parseKeys, newKeyText, resolveSecretKeys } from '../../src/store/secrets.js';
import { verifyPassword } from '../../src/store/passwords.js';
import { codeOf } from '../named-errors.js';

const ACTOR: Actor = { name: 'cli:tester' };
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});
const tmp = (): string => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'mdhub-svc-'));
  dirs.push(d);
  return d;
};
const box = (text = newKeyText()): SecretBox => new SecretBox(parseKeys(text, 'test'), { kind: 'env' });

async function fresh(secrets = box()): Promise<{ s: ConfigService; repo: ConfigRepository; file: string }> {
  const file = path.join(tmp(), 'db.sqlite');
  const repo = await openRepository(`sqlite:${file}`, { schema: 'auto' });
  return { s: new ConfigService({ repo, plugins: new PluginRegistry(), secrets }), repo, file };
}


// A gateway plugin whose broker fields come from an account (as CTP's will).
const ZOD = pathToFileURL(createRequire(import.meta.url).resolve('zod')).href;
const pluginDir = tmp();
const CTP_LIKE = path.join(pluginDir, 'ctp-like.mjs');
fs.writeFileSync(CTP_LIKE, `
import { z } from '${ZOD}';
export const plugin = {
  name: 'ctp-like', kind: 'gateway', coreVersion: '>=0.1.0', defaultName: 'CTP',
  accountFields: ['broker_id', 'user_id', 'password', 'fronts', 'app_id', 'auth_code'],
  configSchema: z.strictObject({
    library: z.string(), instruments: z.array(z.string()).default(['all']),
    broker_id: z.string(), user_id: z.string(), password: z.string(), fronts: z.array(z.string()).min(1), app_id: z.string(), auth_code: z.string().optional(),
  }),
  create: () => ({ start: async () => {}, stop: async () => {} }),
};`);

const PASSWORD = 'S3cr3t-pa55-word';
const AUTH = 'AUTH-0000-1111';
const account = { id: 'simnow', kind: 'ctp' as const, broker_id: '9999', user_id: '081234', fronts: ['tcp://180.168.146.187:10211'], app_id: 'simnow_client_test', password: PASSWORD, auth_code: AUTH };

describe('accounts and secrets', () => {
  it('stores passwords and auth codes encrypted, shows only whether they are set, and audits without them', async () => {
    const { s, repo, file } = await fresh();
    const v = await s.addAccount(ACTOR, account);
    expect(v).toMatchObject({ id: 'simnow', has_password: true, has_auth_code: true });
    expect(JSON.stringify(v)).not.toContain(PASSWORD);
    expect(JSON.stringify(await s.accounts())).not.toContain(PASSWORD);
    const raw = await repo.get('accounts', { id: 'simnow' });
    expect(raw?.password_enc).toMatch(/^v1:[0-9a-f]{12}:/);
    await repo.close();
    const bytes = fs.readFileSync(file);
    expect(bytes.includes(Buffer.from(PASSWORD))).toBe(false);
    expect(bytes.includes(Buffer.from(AUTH))).toBe(false);
  });

  it('audits every change with who made it, and never a secret', async () => {
    const { s, repo } = await fresh();
    await s.addAccount(ACTOR, account);
    await s.setAccount({ name: 'dashboard:ops' }, 'simnow', { password: 'another-Secret-1' });
    const log = await s.auditLog();
    expect(log.map((e) => [e.actor, e.action, e.target])).toEqual([['dashboard:ops', 'account.set', 'simnow'], ['cli:tester', 'account.add', 'simnow']]);
    expect(JSON.stringify(log)).not.toMatch(/S3cr3t|another-Secret/);
    await repo.close();
  });

  it("a ciphertext does not decrypt under another key or moved to another account; a wrong key is a named error for that account's gateways only", async () => {
    const key = newKeyText();
    const { s, repo } = await fresh(box(key));
    await s.addAccount(ACTOR, account);
    await s.addAccount(ACTOR, { ...account, id: 'other', password: 'other-password-1' });
    await s.addPlugin(ACTOR, { package: CTP_LIKE });
    await s.addGateway(ACTOR, { id: 'gw-simnow', plugin: CTP_LIKE, account: 'simnow', config: { library: '/opt/ctp/libthostmduserapi_se.so' } });
    await s.addGateway(ACTOR, { id: 'sim', plugin: '@mdhub/gateway-sim', config: {} });
    const ok = await s.loadRuntime('hub-a');
    const merged = ok.gateways.find((g) => g.id === 'gw-simnow')!;
    expect(merged.config).toMatchObject({ library: '/opt/ctp/libthostmduserapi_se.so', broker_id: '9999', user_id: '081234', password: PASSWORD, auth_code: AUTH, fronts: account.fronts });
    // another key: the account's gateway is skipped with a named error naming the key it needs; the rest runs
    const wrong = new ConfigService({ repo, plugins: new PluginRegistry(), secrets: box() });
    const rc = await wrong.loadRuntime('hub-a');
    expect(rc.gateways.map((g) => g.id)).toEqual(['sim']);
    expect(rc.skipped).toEqual([expect.objectContaining({ id: 'gw-simnow', code: 'MDH_ERR_SECRET_KEY_MISMATCH' })]);
    expect(rc.skipped[0]!.details['expected']).toBe(parseKeys(key, 'k')[0]!.id);
    // a ciphertext copied onto another account authenticates nowhere
    const a = await repo.get('accounts', { id: 'simnow' });
    const o = await repo.get('accounts', { id: 'other' });
    await repo.write([{ op: 'put', entity: 'accounts', row: { ...o!, password_enc: a!.password_enc } }]);
    expect(() => s.decryptAccount({ ...o!, password_enc: a!.password_enc })).toThrow(/MDH_ERR_SECRET_UNDECRYPTABLE/);
    await repo.close();
  });

  it('refuses to encrypt with a key other than the one the stored secrets use', async () => {
    const { s, repo } = await fresh();
    await s.addAccount(ACTOR, account);
    const other = new ConfigService({ repo, plugins: new PluginRegistry(), secrets: box() });
    expect(await codeOf(other.addAccount(ACTOR, { ...account, id: 'x2' }))).toBe('MDH_ERR_SECRET_KEY_MISMATCH');
    const none = new ConfigService({ repo, plugins: new PluginRegistry(), secrets: new SecretBox([], { kind: 'none', expected: 'abc' }) });
    expect(await codeOf(none.addAccount(ACTOR, { ...account, id: 'x3' }))).toBe('MDH_ERR_SECRET_KEY_MISSING');
    await repo.close();
  });

  it('creates the key file once, mode 0600, and never a new one while encrypted secrets exist', () => {
    const dir = tmp();
    const first = resolveSecretKeys({ env: {}, dataDir: dir, expectedKeyId: null, create: true });
    expect(first.created).toBe(true);
    expect(fs.statSync(path.join(dir, 'secret.key')).mode & 0o777).toBe(0o600);
    const again = resolveSecretKeys({ env: {}, dataDir: dir, expectedKeyId: first.box.currentId, create: true });
    expect(again.created).toBe(false);
    expect(again.box.currentId).toBe(first.box.currentId);
    fs.rmSync(path.join(dir, 'secret.key'));
    const lost = resolveSecretKeys({ env: {}, dataDir: dir, expectedKeyId: first.box.currentId, create: true });
    expect(lost.created).toBe(false);
    expect(fs.existsSync(path.join(dir, 'secret.key'))).toBe(false);
    expect(() => lost.box.decrypt(first.box.encrypt('x', 'c'), 'c')).toThrow(/MDH_ERR_SECRET_KEY_MISSING/);
    expect(() => resolveSecretKeys({ env: { MDHUB_SECRET_KEY: 'short' }, dataDir: dir, expectedKeyId: null, create: true })).toThrow(/MDH_ERR_SECRET_KEY_INVALID/);
  });

  it('rotates every secret to a new key in one batch; the old key no longer reads them', async () => {
    const oldKey = newKeyText();
    const { s, repo } = await fresh(box(oldKey));
    await s.addAccount(ACTOR, account);
    await s.addAccount(ACTOR, { ...account, id: 'b', password: 'b-password-1', auth_code: undefined });
    const newKey = newKeyText();
    const r = await s.rotateSecrets(ACTOR, new SecretBox([...parseKeys(newKey, 'n'), ...parseKeys(oldKey, 'o')], { kind: 'env' }));
    expect(r).toMatchObject({ secrets: 3, to: parseKeys(newKey, 'n')[0]!.id, from: parseKeys(oldKey, 'o')[0]!.id });
    const onlyNew = new ConfigService({ repo, plugins: new PluginRegistry(), secrets: box(newKey) });
    expect((await onlyNew.secretStatus())).toMatchObject({ encrypted: 3, readable: 3, unreadable: [], stored_key_id: r.to });
    const onlyOld = new ConfigService({ repo, plugins: new PluginRegistry(), secrets: box(oldKey) });
    expect((await onlyOld.secretStatus()).readable).toBe(0);
    expect(onlyNew.decryptAccount((await repo.get('accounts', { id: 'simnow' }))!)).toEqual({ password: PASSWORD, auth_code: AUTH });
    await repo.close();
  });
});

describe('taking an account out of use', () => {
  it('adds accounts in use unless told otherwise; a patch or enableAccount changes only the flag, each audited', async () => {
    const { s, repo } = await fresh();
    expect(await s.addAccount(ACTOR, account)).toMatchObject({ id: 'simnow', enabled: true });
    expect(await s.addAccount(ACTOR, { ...account, id: 'locked', enabled: false })).toMatchObject({ id: 'locked', enabled: false });
    const before = await repo.get('accounts', { id: 'simnow' });
    await s.setAccount(ACTOR, 'simnow', { enabled: false });
    expect(await repo.get('accounts', { id: 'simnow' })).toEqual({ ...before, enabled: false, updated_at: expect.any(Number) });
    await s.enableAccount({ name: 'dashboard:ops' }, 'simnow', true);
    await s.enableAccount({ name: 'dashboard:ops' }, 'locked', true);
    await s.enableAccount(ACTOR, 'simnow', false);
    expect((await s.accounts()).rows.map((a) => [a.id, a.enabled])).toEqual([['locked', true], ['simnow', false]]);
    expect(await codeOf(s.enableAccount(ACTOR, 'nobody', true))).toBe('MDH_ERR_CONFIG_UNKNOWN_ID');
    expect(await codeOf(s.setAccount(ACTOR, 'simnow', { enabled: 'no' } as never))).toBe('MDH_ERR_CONFIG_INVALID');
    const log = (await s.auditLog()).reverse();
    expect(log.map((e) => [e.actor, e.action, e.target])).toEqual([
      ['cli:tester', 'account.add', 'simnow'], ['cli:tester', 'account.add', 'locked'], ['cli:tester', 'account.set', 'simnow'],
      ['dashboard:ops', 'account.enable', 'simnow'], ['dashboard:ops', 'account.enable', 'locked'], ['cli:tester', 'account.disable', 'simnow'],
    ]);
    expect(log[1]!.details).toMatchObject({ enabled: false });
    expect(log[2]!.details).toEqual({ changed: ['enabled'] });
    await repo.close();
  });

  it("skips the gateways of a disabled account with MDH_ERR_ACCOUNT_DISABLED, before a key problem that would keep them running, and runs them again once it is enabled", async () => {
    const { s, repo } = await fresh();
    await s.addAccount(ACTOR, account);
    await s.addPlugin(ACTOR, { package: CTP_LIKE });
    await s.addGateway(ACTOR, { id: 'gw-simnow', plugin: CTP_LIKE, account: 'simnow', config: { library: '/x.so' } });
    await s.addGateway(ACTOR, { id: 'sim', plugin: '@mdhub/gateway-sim', config: {} });
    const on = await s.loadRuntime('hub-a');
    await s.enableAccount(ACTOR, 'simnow', false);
    const off = await s.loadRuntime('hub-a');
    expect(off.revision).toBeGreaterThan(on.revision);
    expect(off.gateways.map((g) => g.id)).toEqual(['sim']);
    expect(off.skipped).toEqual([{ id: 'gw-simnow', code: 'MDH_ERR_ACCOUNT_DISABLED', message: expect.stringContaining('account simnow is disabled'), details: { gateway: 'gw-simnow', account: 'simnow', reason: 'account simnow is disabled' } }]);
    // a hub without the secrets' key would keep a running gateway running (MDH_ERR_SECRET_KEY_MISMATCH); a disabled account stops it there too
    const wrongKey = new ConfigService({ repo, plugins: new PluginRegistry(), secrets: box() });
    expect((await wrongKey.loadRuntime('hub-a')).skipped.map((x) => x.code)).toEqual(['MDH_ERR_ACCOUNT_DISABLED']);
    await s.enableAccount(ACTOR, 'simnow', true);
    const again = await s.loadRuntime('hub-a');
    expect(again.skipped).toEqual([]);
    expect(again.gateways.map((g) => [g.id, g.fingerprint])).toEqual(on.gateways.map((g) => [g.id, g.fingerprint]));
    await repo.close();
  });

  it('export and import keep the flag; a document from before the flag imports accounts in use', async () => {
    const a = await fresh();
    await a.s.addAccount(ACTOR, { ...account, enabled: false });
    const doc = await a.s.exportConfig(ACTOR, { withSecrets: false });
    expect(doc.accounts[0]).toMatchObject({ id: 'simnow', enabled: false });
    const b = await fresh();
    await b.s.importConfig(ACTOR, doc, { replace: false });
    expect((await b.repo.get('accounts', { id: 'simnow' }))?.enabled).toBe(false);
    const { enabled, ...older } = doc.accounts[0]!;
    void enabled;
    await b.s.importConfig(ACTOR, { ...doc, accounts: [older] }, { replace: false });
    expect((await b.repo.get('accounts', { id: 'simnow' }))?.enabled).toBe(true);
    await a.repo.close();
    await b.repo.close();
  });
});

describe('gateways, groups and plugins', () => {
  it('refuses secrets in a gateway row, and account fields without an account', async () => {
    const { s, repo } = await fresh();
    await s.addAccount(ACTOR, account);
    expect(await codeOf(s.addGateway(ACTOR, { id: 'g', plugin: '@mdhub/gateway-sim', config: { password: 'x' } }))).toBe('MDH_ERR_CONFIG_SECRET_IN_GATEWAY');
    expect(await codeOf(s.addGateway(ACTOR, { id: 'g', plugin: CTP_LIKE, config: { library: 'x' } }))).toBe('MDH_ERR_CONFIG_CONFLICT');
    expect(await codeOf(s.addGateway(ACTOR, { id: 'g', plugin: CTP_LIKE, account: 'simnow', config: { library: 'x', fronts: ['tcp://1.2.3.4:1'] } }))).toBe('MDH_ERR_CONFIG_CONFLICT');
    expect(await codeOf(s.addGateway(ACTOR, { id: 'g', plugin: CTP_LIKE, account: 'simnow', config: {} }))).toBe('MDH_ERR_PLUGIN_BAD_CONFIG'); // library missing
    expect(await codeOf(s.addGateway(ACTOR, { id: 'g', plugin: CTP_LIKE, account: 'nobody', config: { library: 'x' } }))).toBe('MDH_ERR_CONFIG_UNKNOWN_ID');
    expect(await codeOf(s.addGateway(ACTOR, { id: 'g', plugin: '@mdhub/gateway-sim', config: { latency: { medainMs: 1 } } }))).toBe('MDH_ERR_PLUGIN_BAD_CONFIG');
    expect(await codeOf(s.addGateway(ACTOR, { id: 'g', plugin: '@mdhub/gateway-nope', config: {} }))).toBe('MDH_ERR_PLUGIN_NOT_FOUND');
    expect(await codeOf(s.addGateway(ACTOR, { id: 'bad id', plugin: '@mdhub/gateway-sim', config: {} }))).toBe('MDH_ERR_CONFIG_INVALID');
    expect((await s.gateways()).rows).toEqual([]);
    await repo.close();
  });

  it('puts a gateway into a group at a priority, keeps the list ordered, and drops it when the gateway goes', async () => {
    const { s, repo } = await fresh();
    await s.addGroup(ACTOR, { name: 'g', policy: 'priority', instruments: ['rb*.SHFE', '*.INE'] });
    expect(await codeOf(s.addGroup(ACTOR, { name: 'bad', instruments: ['garbage'] }))).toBe('MDH_ERR_CONFIG_INVALID');
    for (const [id, priority] of [['b', 2], ['a', 1], ['c', undefined]] as const) {
      await s.addGateway(ACTOR, { id, plugin: '@mdhub/gateway-sim', config: {}, group: 'g', ...(priority ? { priority } : {}) });
    }
    expect((await s.groups()).rows[0]!.sources).toEqual([{ gateway: 'a', priority: 1 }, { gateway: 'b', priority: 2 }, { gateway: 'c', priority: 3 }]);
    await s.setGroupSource(ACTOR, 'g', 'c', 1);
    expect((await s.groups()).rows[0]!.sources.map((x) => x.gateway)).toEqual(['a', 'c', 'b']);
    await s.removeGateway(ACTOR, 'a');
    expect((await s.groups()).rows[0]!.sources.map((x) => x.gateway)).toEqual(['c', 'b']);
    const rc = await s.loadRuntime('h');
    expect(rc.groups).toEqual([{ name: 'g', policy: 'priority', instruments: ['rb*.SHFE', '*.INE'], sources: ['c', 'b'], canaries: [] }]);
    await repo.close();
  });

  it('runs for a hub only the gateways pinned to it or to none, whose plugin is registered and enabled', async () => {
    const { s, repo } = await fresh();
    await s.addGateway(ACTOR, { id: 'everywhere', plugin: '@mdhub/gateway-sim', config: {} });
    await s.addGateway(ACTOR, { id: 'only-b', plugin: '@mdhub/gateway-sim', config: {}, hub: 'hub-b' });
    await s.addGateway(ACTOR, { id: 'off', plugin: '@mdhub/gateway-sim', config: {}, enabled: false });
    expect((await s.loadRuntime('hub-a')).gateways.map((g) => g.id)).toEqual(['everywhere']);
    expect((await s.loadRuntime('hub-b')).gateways.map((g) => g.id)).toEqual(['everywhere', 'only-b']);
    await s.setPlugin(ACTOR, '@mdhub/gateway-sim', { enabled: false });
    const rc = await s.loadRuntime('hub-a');
    expect(rc.gateways).toEqual([]);
    expect(rc.skipped).toEqual([expect.objectContaining({ id: 'everywhere', code: 'MDH_ERR_PLUGIN_DISABLED' })]);
    expect(await codeOf(s.removePlugin(ACTOR, '@mdhub/gateway-sim'))).toBe('MDH_ERR_CONFIG_CONFLICT');
    await repo.close();
  });

  it('a configuration change changes the fingerprint of that gateway only', async () => {
    const { s, repo } = await fresh();
    await s.addGateway(ACTOR, { id: 'a', plugin: '@mdhub/gateway-sim', config: {} });
    await s.addGateway(ACTOR, { id: 'b', plugin: '@mdhub/gateway-sim', config: {} });
    const r1 = await s.loadRuntime('h');
    await s.setGateway(ACTOR, 'b', { config: { latency: { medianMs: 9 } } });
    const r2 = await s.loadRuntime('h');
    expect(r2.revision).toBeGreaterThan(r1.revision);
    expect(r2.gateways[0]!.fingerprint).toBe(r1.gateways[0]!.fingerprint);
    expect(r2.gateways[1]!.fingerprint).not.toBe(r1.gateways[1]!.fingerprint);
    await repo.close();
  });

  it('settings are validated, and a per-hub override wins for that hub only', async () => {
    const { s, repo } = await fresh();
    expect(await codeOf(s.setSetting(ACTOR, 'cleansnig', {}))).toBe('MDH_ERR_CONFIG_INVALID');
    expect(await codeOf(s.setSetting(ACTOR, 'cleansing', { enabled: 'no' }))).toBe('MDH_ERR_CONFIG_INVALID');
    await s.setSetting(ACTOR, 'cleansing', { enabled: true, thresholds: { maxLagMs: 5000 } });
    await s.setSetting(ACTOR, 'cleansing', { enabled: false }, 'hub-b');
    expect((await s.loadRuntime('hub-a')).cleansing).toMatchObject({ enabled: true, options: { thresholds: { maxLagMs: 5000 } } });
    expect((await s.loadRuntime('hub-b')).cleansing.enabled).toBe(false);
    await repo.close();
  });
});

describe('users', () => {
  it('creates the default admin hashed and must-change, once; checks logins and password rules', async () => {
    const { s, repo } = await fresh();
    expect(await s.ensureAdmin()).toBe(true);
    expect(await s.ensureAdmin()).toBe(false);
    const admin = await repo.get('users', { username: 'admin' });
    expect(admin?.must_change).toBe(true);
    expect(admin?.password_hash).toMatch(/^scrypt\$/);
    expect(admin?.password_hash).not.toContain('123456');
    expect(await verifyPassword('123456', admin!.password_hash)).toBe(true);
    expect(await s.verifyLogin('admin', '123456')).toMatchObject({ username: 'admin', must_change: true });
    expect(await s.verifyLogin('admin', 'wrong')).toBeNull();
    expect(await codeOf(s.resetPassword(ACTOR, 'admin', '123456'))).toBe('MDH_ERR_USER_BAD_PASSWORD');
    expect(await codeOf(s.resetPassword(ACTOR, 'admin', 'short'))).toBe('MDH_ERR_USER_BAD_PASSWORD');
    await s.resetPassword(ACTOR, 'admin', 'a-much-better-one');
    expect(await s.verifyLogin('admin', 'a-much-better-one')).toMatchObject({ must_change: false });
    expect(JSON.stringify(await s.users())).not.toContain('scrypt');
    await repo.close();
  });
});

describe('export and import', () => {
  it('exports without secrets unless asked, and an import into another database (another key) reproduces the configuration', async () => {
    const a = await fresh();
    await a.s.addAccount(ACTOR, account);
    await a.s.addPlugin(ACTOR, { package: CTP_LIKE });
    await a.s.addGroup(ACTOR, { name: 'shfe', policy: 'priority', instruments: ['*.SHFE'], canaries: ['rb.SHFE', 'cu.SHFE'] });
    await a.s.addGateway(ACTOR, { id: 'gw', plugin: CTP_LIKE, account: 'simnow', config: { library: '/x.so' }, group: 'shfe', priority: 1 });
    await a.s.setSetting(ACTOR, 'cleansing', { enabled: true, disable: ['price_jump'] });
    await a.s.ensureAdmin();
    const plain = await a.s.exportConfig(ACTOR, { withSecrets: false });
    expect(JSON.stringify(plain)).not.toContain(PASSWORD);
    expect(JSON.stringify(plain)).not.toContain(AUTH);
    expect(JSON.stringify(plain)).not.toContain('scrypt');
    const full = await a.s.exportConfig(ACTOR, { withSecrets: true });
    expect(full.accounts[0]).toMatchObject({ password: PASSWORD, auth_code: AUTH });

    const b = await fresh(box()); // another database, another key
    await b.s.importConfig(ACTOR, full, { replace: false });
    const ra = await a.s.loadRuntime('h');
    const rb = await b.s.loadRuntime('h');
    expect(rb.gateways.map((g) => [g.id, g.config])).toEqual(ra.gateways.map((g) => [g.id, g.config]));
    expect(rb.groups).toEqual(ra.groups);
    expect(rb.cleansing).toEqual(ra.cleansing);
    expect(await b.s.verifyLogin('admin', '123456')).not.toBeNull();
    // re-importing the plain export keeps the secrets the target holds; --replace removes what it does not name
    await b.s.addGateway(ACTOR, { id: 'extra', plugin: '@mdhub/gateway-sim', config: {} });
    await b.s.importConfig(ACTOR, plain, { replace: true });
    expect((await b.s.gateways()).rows.map((g) => g.id)).toEqual(['gw']);
    expect((await b.s.loadRuntime('h')).gateways[0]!.config['password']).toBe(PASSWORD);
    expect(await codeOf(b.s.importConfig(ACTOR, { ...plain, version: 2 }, { replace: false }))).toBe('MDH_ERR_CONFIG_INVALID');
    await a.repo.close();
    await b.repo.close();
  });
});

describe('patches', () => {
  it('change only the fields they name', async () => {
    const { s, repo } = await fresh();
    await s.addAccount(ACTOR, { ...account, notes: 'keep me' });
    await s.setAccount(ACTOR, 'simnow', { password: 'a-new-password-1' });
    expect(await repo.get('accounts', { id: 'simnow' })).toMatchObject({ app_id: 'simnow_client_test', notes: 'keep me', broker_id: '9999' });
    await s.addGateway(ACTOR, { id: 'x', plugin: '@mdhub/gateway-sim', config: {} });
    await s.addGroup(ACTOR, { name: 'g', policy: 'priority', instruments: ['*.SHFE'], canaries: ['rb.SHFE', 'cu.SHFE'], cleansing: { disable: ['price_jump'] }, sources: [{ gateway: 'x', priority: 1 }] });
    await s.setGroup(ACTOR, 'g', { instruments: ['rb*.SHFE'] });
    expect(await repo.get('groups', { name: 'g' })).toMatchObject({
      policy: 'priority', instruments: ['rb*.SHFE'], canaries: ['rb.SHFE', 'cu.SHFE'], cleansing: { disable: ['price_jump'] }, sources: [{ gateway: 'x', priority: 1 }],
    });
    await repo.close();
  });
});
