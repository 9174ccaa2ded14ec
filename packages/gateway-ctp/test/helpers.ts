/** What the gateway's tests share: whether the binding and the simulator libraries are here, and waiting. */
import { simLibraryMissing } from '@mdhub/vendor-sim';
import { addonMissing } from '../src/internal.js';

/** CI sets it: a missing build fails there instead of being skipped. */
export const REQUIRE_ALL = process.env['MDHUB_REQUIRE_ALL'] === '1';
/** Why the binding or the simulator libraries cannot be used here, or null. */
export const unavailable: string | null = addonMissing() ?? simLibraryMissing();

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function waitFor<T>(what: string, fn: () => T | undefined | null | false, ms = 15_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}
