/**
 * What an instrument id names, by the exchanges' id rules (markets.json `instrument_id_rules`), without
 * the product table: the hub (which then looks the code up) and the clients (which match `PRODUCT*.EXCH`
 * patterns) read ids the same way. SHFE/INE/DCE/GFEX `rb2605`, options `cu2605C80000` / `m2605-C-3000`;
 * CZCE `SR605` (3 digits, 4 accepted), options `SR605C6000`; CFFEX `IF2512`, options `IO2512-C-4000`;
 * DCE monthly-average futures `l_f2609` or `L2602F`. SSE and SZSE option ids name no product.
 */
const LOWER_FUT = /^([a-z]{1,3})\d{4}$/;
const LOWER_OPT = /^([a-z]{1,3})\d{4}-?[CP]-?\d+(?:\.\d+)?$/;
const MONTHLY_AVG = /^(?:([a-z]{1,3})_f\d{4}|([A-Za-z]{1,3})\d{4}F)$/;
const CZCE_FUT = /^([A-Z]{1,3})\d{3,4}$/;
const CZCE_OPT = /^([A-Z]{1,3})\d{3,4}-?[CP]-?\d+(?:\.\d+)?$/;
const CFFEX_FUT = /^([A-Z]{1,2})\d{4}$/;
const CFFEX_OPT = /^([A-Z]{2})\d{4}-[CP]-\d+(?:\.\d+)?$/;

export interface ParsedInstrumentId {
  /** Product code as the table spells it: `rb`, `m_o` (options of m), `SR_o`, `IO`, `l_f`. */
  code: string;
  kind: 'future' | 'option';
}

/** The product code and kind an instrument id names; null when it fits no rule of the exchange (always on SSE/SZSE). */
export function parseInstrumentId(symbol: string, exchange: string): ParsedInstrumentId | null {
  if (exchange === 'SSE' || exchange === 'SZSE') return null;
  if (exchange === 'CFFEX') {
    const fut = CFFEX_FUT.exec(symbol);
    if (fut) return { code: fut[1]!, kind: 'future' };
    const opt = CFFEX_OPT.exec(symbol);
    return opt ? { code: opt[1]!, kind: 'option' } : null;
  }
  const czce = exchange === 'CZCE';
  const fut = (czce ? CZCE_FUT : LOWER_FUT).exec(symbol);
  if (fut) return { code: fut[1]!, kind: 'future' };
  const opt = (czce ? CZCE_OPT : LOWER_OPT).exec(symbol);
  if (opt) return { code: `${opt[1]!}_o`, kind: 'option' };
  const avg = exchange === 'DCE' ? MONTHLY_AVG.exec(symbol) : null;
  if (avg) return { code: `${(avg[1] ?? avg[2] ?? '').toLowerCase()}_f`, kind: 'future' };
  return null;
}
