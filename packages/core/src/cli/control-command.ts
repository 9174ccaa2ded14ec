/**
 * A plugin command from the command line (`mdhub gateway control ID ...`): `OP [KEY=VALUE…]`
 * (`stall ms=3000`; a value that reads as a number, true, false or null is one), or one JSON object
 * (`{"op":"stall","ms":3000}`). Returns the command, or why the arguments are not one.
 */
export function parseControlCommand(args: readonly string[]): { cmd: { op: string; [k: string]: unknown } } | { error: string } {
  const first = args[0];
  if (first === undefined) return { error: 'a command: OP [KEY=VALUE…] (disconnect ms=3000, stall ms=5000, hang, crash) or one JSON object' };
  if (first.trimStart().startsWith('{')) {
    let cmd: unknown;
    try {
      cmd = JSON.parse(first);
    } catch (err) {
      return { error: `the command is not JSON: ${(err as Error).message}` };
    }
    if (typeof cmd !== 'object' || cmd === null || Array.isArray(cmd) || typeof (cmd as { op?: unknown }).op !== 'string') return { error: 'the JSON command needs an "op"' };
    if (args.length > 1) return { error: 'after a JSON command nothing more' };
    return { cmd: cmd as { op: string } };
  }
  if (!/^[A-Za-z][\w-]*$/.test(first)) return { error: `OP is a word (disconnect, stall, hang, crash …), got ${JSON.stringify(first)}` };
  const cmd: { op: string; [k: string]: unknown } = { op: first };
  for (const a of args.slice(1)) {
    const eq = a.indexOf('=');
    if (eq <= 0) return { error: `arguments are KEY=VALUE, got ${JSON.stringify(a)}` };
    const k = a.slice(0, eq);
    const v = a.slice(eq + 1);
    if (k === 'op') return { error: 'op is given first, not as KEY=VALUE' };
    cmd[k] = v === 'true' ? true : v === 'false' ? false : v === 'null' ? null : v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : v;
  }
  return { cmd };
}
