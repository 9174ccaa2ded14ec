// Rewrites docs/reference/errors.md's table from the built catalogs (run after `npx tsc -b tsconfig.build.json`).
// The errors-doc test keeps the two in step; this only saves typing the rows.
import fs from 'node:fs';
import { PROTOCOL_ERRORS } from '@mdhub/protocol';
import { CORE_ERRORS } from '../packages/core/dist/errors.js';
import { MARKET_ERRORS } from '../packages/core/dist/market/errors.js';
import { CLEANSING_ERRORS } from '../packages/core/dist/cleansing/errors.js';
import { PLUGIN_ERRORS } from '../packages/core/dist/plugin/errors.js';
import { CTP_ERRORS } from '../packages/gateway-ctp/dist/errors.js';

const catalogs = [
  ['@mdhub/protocol', PROTOCOL_ERRORS], ['@mdhub/core', CORE_ERRORS], ['@mdhub/core (market)', MARKET_ERRORS], ['@mdhub/core (cleansing)', CLEANSING_ERRORS],
  ['@mdhub/core (plugin API)', PLUGIN_ERRORS], ['@mdhub/gateway-ctp', CTP_ERRORS],
];
const file = new URL('../docs/reference/errors.md', import.meta.url);
const doc = fs.readFileSync(file, 'utf8');
const lines = doc.split('\n');
const head = lines.findIndex((l) => l.startsWith('| code |'));
let end = head + 2;
while (end < lines.length && lines[end].startsWith('|')) end++;
const seen = new Set();
const rows = [];
for (const [pkg, cat] of catalogs) for (const [code, v] of Object.entries(cat)) {
  if (seen.has(code)) continue;
  seen.add(code);
  rows.push(`| \`${code}\` | ${pkg} | ${v.message.replace(/\|/g, '\\|')} | ${v.retryable ? 'yes' : 'no'} |`);
}
fs.writeFileSync(file, [...lines.slice(0, head + 2), ...rows, ...lines.slice(end)].join('\n'));
console.log(`${rows.length} codes`);
