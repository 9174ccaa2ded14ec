import { describe, expect, it } from 'vitest';
import { parseControlCommand } from '../../src/cli/control-command.js';

describe('mdhub gateway control ID OP [KEY=VALUE…]', () => {
  it('reads OP and KEY=VALUE arguments, numbers and booleans as such', () => {
    expect(parseControlCommand(['stall', 'ms=3000'])).toEqual({ cmd: { op: 'stall', ms: 3000 } });
    expect(parseControlCommand(['hang'])).toEqual({ cmd: { op: 'hang' } });
    expect(parseControlCommand(['flood', 'ms=2000', 'rate=0.5', 'kinds=dbl_max,crossed_book', 'dry=true', 'x=null', 'name='])).toEqual({ cmd: { op: 'flood', ms: 2000, rate: 0.5, kinds: 'dbl_max,crossed_book', dry: true, x: null, name: '' } });
  });
  it('takes one JSON object too', () => {
    expect(parseControlCommand(['{"op":"disconnect","ms":3000}'])).toEqual({ cmd: { op: 'disconnect', ms: 3000 } });
  });
  it('says what is wrong with anything else', () => {
    expect(parseControlCommand([])).toMatchObject({ error: expect.stringContaining('a command') });
    expect(parseControlCommand(['{"ms":1}'])).toEqual({ error: 'the JSON command needs an "op"' });
    expect(parseControlCommand(['{nope'])).toMatchObject({ error: expect.stringContaining('not JSON') });
    expect(parseControlCommand(['stall', '3000'])).toEqual({ error: 'arguments are KEY=VALUE, got "3000"' });
    expect(parseControlCommand(['stall', 'op=hang'])).toEqual({ error: 'op is given first, not as KEY=VALUE' });
    expect(parseControlCommand(['--x'])).toMatchObject({ error: expect.stringContaining('OP is a word') });
  });
});
