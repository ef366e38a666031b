/**
 * The tbn module contract on the simulator (always) and on real engine
 * binaries when TBN_ESPRUINO_BIN / TBN_JERRY_BIN name one (Linux builds with
 * our module; see docs/engines.md).
 */
import { parse } from 'acorn';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadWasmTbnModule } from '../../host/sim/tbn-module.ts';
import { contractCases } from './cases.ts';
import { runInEngine, runInVm, writeCases } from './runners.ts';

const cases = contractCases();
const files = writeCases(cases);

describe('contract: simulator (wasm kernel in node:vm)', () => {
  let tbn: unknown;
  beforeAll(async () => {
    tbn = await loadWasmTbnModule();
  });
  for (const c of cases) {
    it(c.name, () => {
      const r = runInVm(c, tbn);
      expect(r.pass, r.output).toBe(true);
    });
  }
});

const engines = [
  ['espruino', process.env.TBN_ESPRUINO_BIN],
  ['jerryscript', process.env.TBN_JERRY_BIN],
] as const;

for (const [kind, bin] of engines) {
  describe.runIf(bin)(`contract: ${kind} (${bin})`, () => {
    for (const c of cases) {
      it(c.name, () => {
        const r = runInEngine(kind, bin as string, c.name, files.get(c.name) as string);
        expect(r.pass, r.output).toBe(true);
      });
    }
  });
}

describe('contract cases', () => {
  it('are ES5 (they run inside Espruino and JerryScript)', () => {
    for (const c of cases) {
      expect(() => parse(c.source, { ecmaVersion: 5 }), c.name).not.toThrow();
    }
  });
  it('cover results, bad models, bad buffers, memory and close', () => {
    const names = cases.map((c) => c.name);
    expect(names.filter((n) => n.startsWith('results-seed-')).length).toBeGreaterThanOrEqual(10);
    for (const n of ['bad-crc', 'bad-magic', 'bad-truncated-body', 'bad-input-type', 'bad-input-length', 'bad-logits', 'memory-report', 'close']) {
      expect(names).toContain(n);
    }
  });
});
