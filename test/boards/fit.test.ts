/** Board definitions and the fit check that refuses a model too big for a chip. */
import { describe, expect, it } from 'vitest';
import { checkFit, listBoards, loadBoard } from '../../host/boards.ts';
import { TbnError } from '../../host/errors.ts';
import { readModel } from '../../host/format/reader.ts';
import { harPacked } from './models.ts';

describe('board definitions', () => {
  it('lists the five boards, three of them with a QEMU machine', () => {
    expect(listBoards()).toEqual(['esp32', 'esp32c3', 'esp8266', 'stm32f401', 'stm32f405']);
    const emulated = listBoards().filter((b) => loadBoard(b).qemu !== null);
    expect(emulated).toEqual(['esp32c3', 'esp8266', 'stm32f405']);
    expect(loadBoard('stm32f405').qemu).toEqual({ system: 'qemu-system-arm', machine: 'netduinoplus2', cpu: null });
    expect(loadBoard('esp8266').qemu?.cpu).toBe('lx106');
    expect(loadBoard('esp32').qemuNote).toMatch(/no .*toolchain/);
  });

  it('keeps every budget inside the chip', () => {
    for (const name of listBoards()) {
      const b = loadBoard(name);
      expect(b.name).toBe(name);
      expect(b.modelFlashBytes).toBeLessThanOrEqual(b.storageBytes);
      expect(b.storageBytes).toBeLessThan(b.flashBytes);
      expect(b.appRamBytes).toBeLessThan(b.ramBytes);
      expect(b.jsVars * b.jsVarBytes).toBeLessThan(b.ramBytes);
    }
  });

  it('rejects an unknown board naming the known ones', () => {
    expect(() => loadBoard('stm32f999')).toThrow(TbnError);
    expect(() => loadBoard('stm32f999')).toThrow(/unknown board "stm32f999"; known boards: esp32, esp32c3, esp8266, stm32f401, stm32f405/);
    expect(() => loadBoard('../package')).toThrow(/unknown board/);
  });
});

describe('checkFit', () => {
  it('accepts the trained HAR model on every board', () => {
    const bytes = harPacked();
    const m = readModel(bytes);
    for (const name of listBoards()) {
      const fit = checkFit(loadBoard(name), { modelBytes: bytes.length, scratchBytes: m.scratchBytes });
      expect(fit).toMatchObject({ fits: true, problems: [] });
      expect(fit.rows.find((r) => r.what === 'model flash')).toEqual({ what: 'model flash', need: bytes.length, have: loadBoard(name).modelFlashBytes });
    }
  });

  it('refuses an oversized model and states the numbers', () => {
    const pico = loadBoard('stm32f401');
    const fit = checkFit(pico, { modelBytes: 41230, scratchBytes: 1024 });
    expect(fit.fits).toBe(false);
    expect(fit.problems).toEqual(['model needs 41,230 B of flash, the stm32f401 has 32,768 B for models']);
    expect(fit.rows[0]).toEqual({ what: 'model flash', need: 41230, have: 32768 });
  });

  it('checks scratch RAM, Storage with the app bundle, and JS variables', () => {
    const esp = loadBoard('esp8266');
    const fit = checkFit(esp, { modelBytes: 60000, scratchBytes: 6000, bundleBytes: 140000, jsVars: 1200 });
    expect(fit.fits).toBe(false);
    expect(fit.problems).toEqual([
      'model (60,000 B) and app bundle (140,000 B) need 200,000 B of Storage, the esp8266 has 196,608 B',
      'model scratch needs 6,000 B of RAM, the esp8266 has 4,800 B for it',
      'app needs 1,701 JS variables (1,200 + 501 for the scratch), the esp8266 has 1,600',
    ]);
    expect(checkFit(esp, { modelBytes: 60000, scratchBytes: 4800, bundleBytes: 100000, jsVars: 1000 }).fits).toBe(true);
  });

  it('rejects nonsense sizes', () => {
    expect(() => checkFit(loadBoard('esp32'), { modelBytes: -1, scratchBytes: 0 })).toThrow(/modelBytes must be a non-negative integer/);
    expect(() => checkFit(loadBoard('esp32'), { modelBytes: 1.5, scratchBytes: 0 })).toThrow(TbnError);
  });
});
