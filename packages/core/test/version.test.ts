import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CORE_VERSION } from '../src/version.js';

describe('CORE_VERSION', () => {
  it('equals the package version that plugins declare compatibility with', () => {
    const pkg = JSON.parse(fs.readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(CORE_VERSION).toBe(pkg.version);
  });
});
