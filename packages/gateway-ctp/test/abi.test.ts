/**
 * The ABI the binding and the simulator library share (native/ctp_abi.h) against the vendor ABI spec:
 * every struct size and offset is a static_assert (the header compiles), the virtual slots are in the
 * spec's order (§4.1, §4.2: read back from member-function pointers, which hold the vtable offset on
 * x86-64), and each simulator build exports exactly the spec's mangled factory and version names (§3).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { simLibrary, simLibraryMissing } from '@mdhub/vendor-sim';

const NATIVE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../native');
const REQUIRE_ALL = process.env['MDHUB_REQUIRE_ALL'] === '1';

// The spec's tables (shared/specs/vendor-md-abi.md §4.1, §4.2), copied here by hand.
const API_SLOTS = ['Release', 'Init', 'Join', 'GetTradingDay', 'RegisterFront', 'RegisterNameServer', 'RegisterFensUserInfo', 'RegisterSpi',
  'SubscribeMarketData', 'UnSubscribeMarketData', 'SubscribeForQuoteRsp', 'UnSubscribeForQuoteRsp', 'ReqUserLogin', 'ReqUserLogout'];
const CTP_API = [...API_SLOTS, 'ReqQryMulticastInstrument'];
const SOPT_API = API_SLOTS;
const CTP_SPI = ['OnFrontConnected', 'OnFrontDisconnected', 'OnHeartBeatWarning', 'OnRspUserLogin', 'OnRspUserLogout', 'OnRspQryMulticastInstrument',
  'OnRspError', 'OnRspSubMarketData', 'OnRspUnSubMarketData', 'OnRspSubForQuoteRsp', 'OnRspUnSubForQuoteRsp', 'OnRtnDepthMarketData', 'OnRtnForQuoteRsp'];
const SOPT_SPI = CTP_SPI.filter((m) => m !== 'OnRspQryMulticastInstrument');

function compileAndRun(source: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mdhub-abi-'));
  fs.writeFileSync(path.join(dir, 'probe.cc'), source);
  const c = spawnSync('g++', ['-std=c++17', '-Wall', '-Wno-unused-parameter', `-I${NATIVE}`, '-o', path.join(dir, 'probe'), path.join(dir, 'probe.cc')], { encoding: 'utf8' });
  if (c.status !== 0) throw new Error(`compile failed:\n${c.stderr}`);
  const r = spawnSync(path.join(dir, 'probe'), { encoding: 'utf8' });
  fs.rmSync(dir, { recursive: true, force: true });
  return r.stdout;
}

/** A C++ program printing `Class Method slot` for each method (Itanium: a virtual member pointer is 1 + vtable offset). */
function slotProbe(cls: string, methods: string[]): string {
  return methods.map((m) => `  { auto p = &${cls}::${m}; long v; std::memcpy(&v, &p, sizeof v); std::printf("${m} %ld\\n", (v - 1) / 8); }`).join('\n');
}

describe('the vendor ABI header', () => {
  it('compiles: every size and offset static_assert of the spec holds', () => {
    expect(compileAndRun('#include "ctp_abi.h"\n#include <cstdio>\nint main(){ std::printf("ok"); }')).toBe('ok');
  });

  it('has the spec\'s virtual slots, in order, for both flavours (no destructor slot)', () => {
    const src = `#include "ctp_abi.h"
#include <cstdio>
#include <cstring>
using namespace mdhub_abi;
int main() {
${slotProbe('ctp::MdApi', CTP_API)}
  std::printf("--\\n");
${slotProbe('sopt::MdApi', SOPT_API)}
  std::printf("--\\n");
${slotProbe('ctp::MdSpi', CTP_SPI)}
  std::printf("--\\n");
${slotProbe('sopt::MdSpi', SOPT_SPI)}
}`;
    const [ctpApi, soptApi, ctpSpi, soptSpi] = compileAndRun(src).trim().split('--\n').map((block) => block.trim().split('\n').map((l) => l.split(' ')));
    const expectOrder = (rows: string[][] | undefined, names: string[]): void => expect(rows).toEqual(names.map((n, i) => [n, String(i)]));
    expectOrder(ctpApi, CTP_API);
    expectOrder(soptApi, SOPT_API);
    expectOrder(ctpSpi, CTP_SPI);
    expectOrder(soptSpi, SOPT_SPI);
  });
});

describe('the ABI simulator libraries', () => {
  const missing = simLibraryMissing();
  if (missing && REQUIRE_ALL) {
    it('are built (MDHUB_REQUIRE_ALL=1)', () => { throw new Error(missing); });
    return;
  }
  it.skipIf(missing !== null)('export exactly the spec\'s mangled factory and version names per flavour (nm -D)', () => {
    const exported = (file: string): string[] => spawnSync('nm', ['-D', '--defined-only', file], { encoding: 'utf8' }).stdout
      .split('\n').filter((l) => / T /.test(l)).map((l) => l.split(' ').pop()!).filter((s) => s.includes('Ftdc')).sort();
    expect(exported(simLibrary('ctp-6.7.7'))).toEqual(['_ZN15CThostFtdcMdApi13GetApiVersionEv', '_ZN15CThostFtdcMdApi15CreateFtdcMdApiEPKcbb']);
    expect(exported(simLibrary('ctp-6.7.11'))).toEqual(['_ZN15CThostFtdcMdApi13GetApiVersionEv', '_ZN15CThostFtdcMdApi15CreateFtdcMdApiEPKcbbb']);
    expect(exported(simLibrary('sopt'))).toEqual(['_ZN8ctp_sopt15CThostFtdcMdApi13GetApiVersionEv', '_ZN8ctp_sopt15CThostFtdcMdApi15CreateFtdcMdApiEPKcbb']);
  });
});
