/**
 * The contract suite inside JerryScript on an emulated STM32F405
 * (qemu-system-arm -M netduinoplus2): each case becomes the app of a test
 * firmware (boards/stm32f405/jerryscript with -DTBN_QEMU_TEST) that ends QEMU
 * with PASS/FAIL from the global `result`. The engine libraries and the
 * matching jerry-snapshot come from `tbn firmware --engine jerryscript --board stm32f405`.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { generateSnapshot, linkJerryStm32, writeBuildArtifacts } from '../../host/firmware/build.ts';
import { randomPackedModel } from '../../host/format/random-model.ts';
import type { ContractCase } from './cases.ts';
import { type CaseOutcome, outcome } from './runners.ts';

export interface QemuContractOptions {
  jerryDir: string;
  /** The Cortex-M4 libjerry-*.a directory. */
  jerryLib: string;
  /** A host jerry-snapshot with the target's heap and profile: run each case as a snapshot. */
  snapshotTool?: string;
  work: string;
  cases: ContractCase[];
  /** Case name -> its .js file (writeCases). */
  files: Map<string, string>;
  onResult?: (r: CaseOutcome) => void;
}

function qemu(elf: string, timeoutMs: number): Promise<{ code: number | null; text: string }> {
  return new Promise((resolve) => {
    let text = '';
    const child = spawn('qemu-system-arm', ['-M', 'netduinoplus2', '-kernel', elf, '-nographic', '-monitor', 'none', '-semihosting', '-serial', 'stdio', '-serial', 'null'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (d: Buffer) => (text += d.toString('latin1')));
    child.stderr.on('data', (d: Buffer) => (text += d.toString('latin1')));
    const timer = setTimeout(() => {
      text += `\n(killed after ${timeoutMs / 1000} s)`;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.once('error', (e) => {
      clearTimeout(timer);
      resolve({ code: null, text: `cannot start qemu-system-arm: ${e.message}` });
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, text });
    });
  });
}

export async function runContractOnQemuStm32(o: QemuContractOptions): Promise<CaseOutcome[]> {
  mkdirSync(o.work, { recursive: true });
  const model = path.join(o.work, 'any.tbn');
  writeFileSync(model, randomPackedModel(1)); // Storage content; the cases carry their own models
  const results: CaseOutcome[] = [];
  for (const c of o.cases) {
    const out = path.join(o.work, c.name);
    let r: CaseOutcome;
    try {
      const file = o.files.get(c.name) as string;
      writeBuildArtifacts('stm32f405', 'jerryscript', model, file, out);
      if (o.snapshotTool) {
        const snap = await generateSnapshot(o.snapshotTool, path.join(out, 'app.snapshot.js'), path.join(out, 'app.snapshot'));
        writeBuildArtifacts('stm32f405', 'jerryscript', model, file, out, snap);
      }
      const fw = await linkJerryStm32({ jerryDir: o.jerryDir, jerryLib: o.jerryLib, blobsDir: out, extraCflags: '-DTBN_QEMU_TEST' });
      const run = await qemu(fw.elf, 120_000);
      r = outcome(c.name, run.code === 0 && /PASS/.test(run.text), run.text.trim());
    } catch (e) {
      r = outcome(c.name, false, (e as Error).message);
    }
    results.push(r);
    o.onResult?.(r);
  }
  return results;
}
