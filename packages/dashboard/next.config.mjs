/**
 * A static export: `next build` writes plain files to out/, which the hub serves on its HTTP port next to
 * the API (no Node server of Next's at run time). Every page is a client page fed by the API and the
 * hub's WebSocket.
 */
/** @type {import('next').NextConfig} */
const config = {
  output: 'export',
  images: { unoptimized: true },
  poweredByHeader: false,
  reactStrictMode: true,
  // The repository's root holds its own lockfile; the dashboard is one workspace of it.
  turbopack: { root: new URL('../..', import.meta.url).pathname },
  outputFileTracingRoot: new URL('../..', import.meta.url).pathname,
};
export default config;
