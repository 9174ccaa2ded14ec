/**
 * Keeps the CLI and the README in step: every flag any command accepts is in the README's options
 * table, and the table lists no flag the CLI does not accept; every command is in the README's list.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { COMMANDS, allFlags, usageOf } from '../src/cli/spec.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');

describe('CLI and README', () => {
  it("the README's options table lists every flag, and nothing else", () => {
    const table = readme.slice(readme.indexOf('| flag |'));
    const firstCells = [...table.matchAll(/^\| ([^|]*(?:\\\|[^|]*)*)\|/gm)].map((m) => m[1]!);
    const documented = new Set(firstCells.flatMap((c) => [...c.matchAll(/`--([a-z-]+)/g)].map((m) => m[1]!)));
    expect([...documented].sort()).toEqual(allFlags());
  });

  it('the README names every command', () => {
    for (const c of COMMANDS) expect(readme, c.name).toContain(`mdhub ${c.name}`);
  });

  it('every command has a usage naming each of its flags', () => {
    for (const c of COMMANDS) {
      const u = usageOf(c);
      for (const f of Object.keys(c.flags)) expect(u, `${c.name} --${f}`).toContain(`--${f}`);
    }
  });
});
