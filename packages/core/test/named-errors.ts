/** Test helpers: the catalog code a call fails with ('no error' when it does not fail). */
import { CatalogError } from '@mdhub/protocol';

const describe = (err: unknown): string => (err instanceof CatalogError ? err.code : `not a named error: ${String(err)}`);

/** The code a synchronous call throws. */
export function code(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return describe(err);
  }
  return 'no error';
}

/** The code a promise rejects with. */
export async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    return describe(err);
  }
  return 'no error';
}
