import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseStatusNames, STATUS, STATUS_NAMES } from '../../host/native/status.ts';
import { DEFAULT_WASM_PATH, KernelError, WasmKernel } from '../../host/native/wasm-kernel.ts';
import { randomPackedModel } from '../../host/format/random-model.ts';

describe('status names read from tbn.h', () => {
  it('parses the tbn_status enum and refuses gaps, duplicates and entries without a code', () => {
    const enumOf = (body: string) => `/* x */\ntypedef enum {\n${body}\n} tbn_status;\n`;
    expect(parseStatusNames(enumOf('  TBN_OK = 0,\n  TBN_E_ARG = 1, /* a, b */\n  TBN_E_X = 2 /* last */'))).toEqual(['TBN_OK', 'TBN_E_ARG', 'TBN_E_X']);
    expect(() => parseStatusNames(enumOf('TBN_OK = 0, TBN_E_ARG = 2'))).toThrow(/TBN_E_ARG = 2, expected 1/);
    expect(() => parseStatusNames(enumOf('TBN_OK = 0, TBN_OK = 1'))).toThrow(/defined twice/);
    expect(() => parseStatusNames(enumOf('TBN_OK = 0, TBN_E_ARG'))).toThrow(/not TBN_NAME = code/);
    expect(() => parseStatusNames('typedef enum { A = 0 } other;')).toThrow(/no `typedef enum/);
  });

  it('names the codes the header gives', () => {
    expect(STATUS_NAMES[0]).toBe('TBN_OK');
    expect(STATUS_NAMES.length).toBeGreaterThanOrEqual(16);
    for (const [name, code] of Object.entries(STATUS)) expect(STATUS_NAMES[code]).toBe(name);
  });
});

describe.skipIf(!existsSync(DEFAULT_WASM_PATH))('status names against the compiled kernel (skipped unless build/native/tbn.wasm is built)', () => {
  const kernel = WasmKernel.load();

  it('every named code has its own tbn_status_string; the code after the last is unknown to the kernel', () => {
    const strings = STATUS_NAMES.map((_, code) => kernel.statusString(code));
    expect(strings.filter((s) => s === 'unknown status')).toEqual([]);
    expect(new Set(strings).size).toBe(STATUS_NAMES.length);
    expect(kernel.statusString(STATUS_NAMES.length)).toBe('unknown status');
  });

  it('the wasm wrapper reports its own refusals under the header names', () => {
    const m = kernel.open(randomPackedModel(7001));
    const tooLong = new Int16Array(m.info.inputLen * 2 + 1);
    const params = new Int32Array(3 * m.info.quantCount);
    expect(() => m.runInt16(tooLong, params)).toThrow(expect.objectContaining({ statusName: 'TBN_E_INPUT' }));
    m.close();
    const err = (() => {
      try {
        m.run(new Int8Array(m.info.inputLen));
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(KernelError);
    expect((err as KernelError).statusName).toBe('TBN_E_ARG');
  });
});
