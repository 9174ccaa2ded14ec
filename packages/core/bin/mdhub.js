#!/usr/bin/env node
// The `mdhub` command (`npx mdhub …` in a checkout). The CLI itself is compiled to dist/ by `npm install`
// (the root's prepare script) or `npm run build`; this file exists before that, so npm links it.
import fs from 'node:fs';

const cli = new URL('../dist/cli.js', import.meta.url);
if (!fs.existsSync(cli)) {
  process.stderr.write('mdhub: the CLI is not built yet: run `npm run build` in the checkout (npm install builds it)\n');
  process.exit(1);
}
await import(cli.href);
