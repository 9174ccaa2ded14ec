/**
 * Every process setting is strict: for each one, a value of the wrong type, a value out of range and a
 * misspelled key are MDH_ERR_CONFIG_INVALID naming the setting (and where it came from); a setting that
 * moved into the database says where it went.
 */
import { describe, expect, it } from 'vitest';
import { CatalogError } from '@mdhub/protocol';
import { HubConfigSchema, parseHubConfig } from '../src/config.js';

function refusal(input: Record<string, unknown>, origins: Record<string, string> = {}): { code: string; setting: unknown; source: unknown; reason: string } {
  try {
    parseHubConfig(input, 'test', origins);
  } catch (err) {
    if (err instanceof CatalogError) return { code: err.code, setting: err.details['setting'], source: err.details['source'], reason: String(err.details['reason']) };
    throw err;
  }
  throw new Error(`accepted ${JSON.stringify(input)}`);
}

// For each setting: a wrong type, an out-of-range (or malformed) value, and a misspelling of its key.
const TABLE: Record<string, { wrongType: unknown; outOfRange: unknown; misspelled: string }> = {
  dataDir: { wrongType: 7, outOfRange: '', misspelled: 'datadir' },
  db: { wrongType: true, outOfRange: '', misspelled: 'database' },
  pub: { wrongType: 7701, outOfRange: 'tcp://127.0.0.1:70000', misspelled: 'pubb' },
  snapshot: { wrongType: {}, outOfRange: 'udp://127.0.0.1:7702', misspelled: 'snapshots' },
  http: { wrongType: 7700, outOfRange: '127.0.0.1:99999', misspelled: 'htttp' },
  hubId: { wrongType: 1, outOfRange: 'a'.repeat(33), misspelled: 'hubid' },
  linkTransport: { wrongType: 1, outOfRange: 'udp', misspelled: 'link' },
  sendHighWaterMark: { wrongType: '100000', outOfRange: 2 ** 31, misspelled: 'sendHighWatermark' },
  simAnchor: { wrongType: 20261125, outOfRange: '2026-11-25 09:35', misspelled: 'simAncor' },
  clockRate: { wrongType: 'fast', outOfRange: 0, misspelled: 'clock_rate' },
  configPollMs: { wrongType: '1s', outOfRange: 10, misspelled: 'configPollMS' },
  logLevel: { wrongType: 3, outOfRange: 'verbose', misspelled: 'loglevel' },
  logFormat: { wrongType: false, outOfRange: 'xml', misspelled: 'logformat' },
  logDir: { wrongType: 1, outOfRange: '', misspelled: 'logdir' },
  logFilesKept: { wrongType: '14', outOfRange: 0, misspelled: 'logFilesKeep' },
  logFileMb: { wrongType: '100', outOfRange: 0, misspelled: 'logFileMB' },
  allowedOrigins: { wrongType: 'https://proxy.example', outOfRange: Array.from({ length: 21 }, (_, i) => `https://p${i}.example`), misspelled: 'allowedOrigin' },
  dashboard: { wrongType: 1, outOfRange: '', misspelled: 'dashbord' },
  tlsCert: { wrongType: 1, outOfRange: '', misspelled: 'tlscert' },
  tlsKey: { wrongType: 1, outOfRange: '', misspelled: 'tlskey' },
  insecureHttp: { wrongType: 'yes', outOfRange: 1, misspelled: 'insecureHTTP' },
};

describe('hub settings', () => {
  it('the table covers every setting', () => {
    expect(Object.keys(TABLE).sort()).toEqual(Object.keys(HubConfigSchema.shape).sort());
  });

  it('accepts the defaults and valid values', () => {
    const c = parseHubConfig({});
    expect(c).toMatchObject({ dataDir: '.mdhub', pub: 'tcp://127.0.0.1:7701', http: '127.0.0.1:7700', sendHighWaterMark: 100_000 });
    expect(parseHubConfig({ pub: 'tcp://0.0.0.0:*', http: 'off', simAnchor: '2026-11-25T09:35:00+08:00', sendHighWaterMark: 10_000_000 }).pub).toBe('tcp://0.0.0.0:*');
  });

  for (const [setting, bad] of Object.entries(TABLE)) {
    it(`${setting}: wrong type, out of range and misspelled are named errors`, () => {
      for (const value of [bad.wrongType, bad.outOfRange]) {
        const r = refusal({ [setting]: value }, { [setting]: 'config file x.json' });
        expect(r.code).toBe('MDH_ERR_CONFIG_INVALID');
        expect(r.setting).toBe(setting);
        expect(r.source).toBe('config file x.json');
        expect(r.reason).toContain(setting);
      }
      const m = refusal({ [bad.misspelled]: 1 });
      expect(m.code).toBe('MDH_ERR_CONFIG_INVALID');
      expect(m.setting).toBe(bad.misspelled);
      expect(m.reason).toContain(`unknown setting ${bad.misspelled}`);
    });
  }

  it('an HTTP listener beyond loopback needs TLS or --insecure-http; TLS needs both files', () => {
    for (const http of ['127.0.0.1:7700', '127.1.2.3:0', 'localhost:7700', '[::1]:7700', 'off']) expect(parseHubConfig({ http }).http).toBe(http);
    for (const http of ['0.0.0.0:7700', '192.168.1.20:7700', '[::]:7700', 'hub.lan:7700']) {
      const r = refusal({ http }, { http: '--http' });
      expect([r.code, r.setting, r.source]).toEqual(['MDH_ERR_CONFIG_INVALID', 'http', '--http']);
      expect(r.reason).toContain('--tls-cert FILE --tls-key FILE, or --insecure-http');
      expect(parseHubConfig({ http, insecureHttp: true }).http).toBe(http);
      expect(parseHubConfig({ http, tlsCert: 'c.pem', tlsKey: 'k.pem' }).http).toBe(http);
    }
    expect(refusal({ tlsCert: 'c.pem' }).setting).toBe('tlsKey');
    expect(refusal({ tlsKey: 'k.pem' }).setting).toBe('tlsCert');
  });

  it('points a misspelling at the setting it resembles', () => {
    expect(refusal({ sendHighWatermark: 5 }).reason).toContain('did you mean sendHighWaterMark');
  });

  it('says where a setting that moved into the database went', () => {
    const r = refusal({ cleansing: { enabled: false } });
    expect(r.code).toBe('MDH_ERR_CONFIG_INVALID');
    expect(r.setting).toBe('cleansing');
    expect(r.reason).toContain('mdhub settings set cleansing');
  });
});

describe('database URLs in errors', () => {
  it('never show a password, whatever it holds', async () => {
    const { redactUrl, parseDbUrl } = await import('../src/store/url.js');
    for (const [url, shown] of [
      ['mysql://u:p@h:3306/db', 'mysql://u:***@h:3306/db'],
      ['mysql://u:p@ss/w:rd@h/db', 'mysql://u:***@h/db'],
      ['mysql:u:secret@127.0.0.1/test', 'mysql:u:***@127.0.0.1/test'],
      ['mongodb://u:a@b@h:27017/x', 'mongodb://u:***@h:27017/x'],
      ['mysql://root@h/db', 'mysql://root@h/db'],
    ] as const) expect(redactUrl(url)).toBe(shown);
    for (const bad of ['mysql://u:s3cr@t/x@h/db', 'mysql:u:s3cr@t@h/db', 'postgres://u:s3cr@t@h/db']) {
      try {
        parseDbUrl(bad);
      } catch (err) {
        expect(JSON.stringify((err as { details: unknown }).details)).not.toContain('s3cr');
        expect(String(err)).not.toContain('s3cr');
      }
    }
    let details: unknown;
    try {
      parseHubConfig({ dbUrl: 'mysql://u:s3cret@h/db' });
    } catch (err) {
      details = (err as { details: unknown }).details;
    }
    expect(JSON.stringify(details)).toContain('mysql://u:***@h/db');
    expect(JSON.stringify(details)).not.toContain('s3cret');
  });
});
