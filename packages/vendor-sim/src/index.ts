/**
 * @mdhub/vendor-sim (test-only): mdhub's ABI simulator of the vendor market-data library, built three
 * times (CTP 6.7.7, CTP 6.7.11, SOPT 3.7), and the simulated front it connects to. Never a substitute for
 * the vendor's library: it exists so the binding's real code path runs in tests.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Flavour } from './structs.js';

export { SimFront, frontUniverse } from './front.js';
export type { FrontOptions, FrontStats } from './front.js';
export { depthStruct, loginStruct, infoStruct, specificStruct, readLoginRequest, putString, DBL_MAX, SIZES, GBK } from './structs.js';
export type { Flavour, DepthOptions } from './structs.js';

const BUILD = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../build');
const FILES: Record<Flavour, string> = { 'ctp-6.7.7': 'libmdsim_ctp677.so', 'ctp-6.7.11': 'libmdsim_ctp6711.so', sopt: 'libmdsim_sopt.so' };

/** Why the simulator libraries are missing, or null when they are built. */
export function simLibraryMissing(): string | null {
  const failed = path.join(BUILD, 'BUILD_FAILED.txt');
  if (fs.existsSync(failed)) return fs.readFileSync(failed, 'utf8');
  for (const f of Object.values(FILES)) if (!fs.existsSync(path.join(BUILD, f))) return `${f} was not built (npm rebuild @mdhub/vendor-sim)`;
  return null;
}

/** Absolute path of the simulator library of a flavour. */
export function simLibrary(flavour: Flavour): string {
  return path.join(BUILD, FILES[flavour]);
}

/** Timings of the simulator library, written where it reads them: `<flow prefix>mdsim.conf`. */
export interface SimLibrarySettings {
  retryMs?: number;
  reconnectMs?: number;
  heartbeatWarnMs?: number;
  heartbeatTimeoutMs?: number;
  pingMs?: number;
}

export function writeSimSettings(flowDir: string, s: SimLibrarySettings): void {
  fs.mkdirSync(flowDir, { recursive: true });
  const lines = [
    s.retryMs !== undefined ? `retry_ms=${s.retryMs}` : '', s.reconnectMs !== undefined ? `reconnect_ms=${s.reconnectMs}` : '',
    s.heartbeatWarnMs !== undefined ? `heartbeat_warn_ms=${s.heartbeatWarnMs}` : '', s.heartbeatTimeoutMs !== undefined ? `heartbeat_timeout_ms=${s.heartbeatTimeoutMs}` : '',
    s.pingMs !== undefined ? `ping_ms=${s.pingMs}` : '',
  ].filter(Boolean);
  fs.writeFileSync(path.join(flowDir.endsWith('/') ? flowDir : `${flowDir}/`, 'mdsim.conf'), `${lines.join('\n')}\n`);
}
