/**
 * The tbn module contract on the simulator (always) and on real engine
 * binaries when TBN_ESPRUINO_BIN / TBN_JERRY_BIN name one (Linux builds with
 * our module; see docs/engines.md).
 */
import { parse } from 'acorn';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadWasmTbnModule } from '../../host/sim/tbn-module.ts';
import { contractCases } from './cases.ts';
import { outcome, runInEngine, runInVm, writeCases } from './runners.ts';

const cases = contractCases();
const files = writeCases(cases);

describe('contract: simulator (wasm kernel in node:vm)', () => {
  let tbn: unknown;
  beforeAll(async () => {
    tbn = await loadWasmTbnModule();
  });
  for (const c of cases) {
    it(c.name, (ctx) => {
      const r = runInVm(c, tbn);
      if (r.status === 'skipped') ctx.skip(`not applicable: ${r.reason}`);
      expect(r.pass, r.output).toBe(true);
    });
  }
});

describe('contract: a case that cannot run is skipped with its reason, never passed', () => {
  let tbn: unknown;
  beforeAll(async () => {
    tbn = await loadWasmTbnModule();
  });
  it('on the simulator exactly open-from-storage and the two espruino-fragmented cases are skipped, each with a reason', () => {
    const results = cases.map((c) => runInVm(c, tbn));
    const skipped = results.filter((r) => r.status === 'skipped');
    expect(skipped.map((r) => r.name).sort()).toEqual(['espruino-fragmented-buffers', 'espruino-fragmented-int16', 'open-from-storage']);
    expect(skipped.find((r) => r.name === 'open-from-storage')?.reason).toMatch(/Storage.*write/);
    expect(skipped.find((r) => r.name === 'espruino-fragmented-buffers')?.reason).toMatch(/E\.toArrayBuffer/);
    expect(skipped.find((r) => r.name === 'espruino-fragmented-int16')?.reason).toMatch(/E\.toArrayBuffer/);
    for (const r of skipped) expect(r.pass).toBe(false);
    const passed = results.filter((r) => r.pass).length;
    expect(passed).toBe(cases.length - 3);
    expect(results.filter((r) => r.status === 'fail')).toEqual([]);
  });
  it('open-from-storage runs (and passes) where require("Storage") can write', () => {
    const files = new Map<string, string>();
    const storage = {
      write: (n: string, s: string) => void files.set(n, s),
      read: (n: string) => files.get(n),
      erase: (n: string) => void files.delete(n),
    };
    const c = cases.find((x) => x.name === 'open-from-storage')!;
    const r = runInVm(c, tbn, { Storage: storage });
    expect(r.status, r.output).toBe('pass');
    expect(files.size).toBe(0);
  });
  it('a skip marker wins over a true result, and a failure stays a failure', () => {
    expect(outcome('x', true, 'contract skipped: no E here')).toMatchObject({ status: 'skipped', pass: false, reason: 'no E here' });
    expect(outcome('x', false, 'contract FAILED: a | b')).toMatchObject({ status: 'fail', pass: false });
    expect(outcome('x', true, 'contract ok')).toMatchObject({ status: 'pass', pass: true });
  });
});

const engines = [
  ['espruino', process.env.TBN_ESPRUINO_BIN],
  ['jerryscript', process.env.TBN_JERRY_BIN],
] as const;

for (const [kind, bin] of engines) {
  describe.runIf(bin)(`contract: ${kind} (${bin})`, () => {
    for (const c of cases) {
      it(c.name, (ctx) => {
        const r = runInEngine(kind, bin as string, c.name, files.get(c.name) as string);
        if (r.status === 'skipped') ctx.skip(`not applicable: ${r.reason}`);
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
