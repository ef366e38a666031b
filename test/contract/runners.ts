/**
 * Runs contract cases (test/contract/cases.ts) on the simulator's module in
 * node:vm, or on a Linux engine binary: Espruino (`bin/espruino --test F`) or
 * our JerryScript host main (`tbn-jerry --test F`). Both exit 0 iff the case
 * set the global `result` truthy.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import vm from 'node:vm';
import { HOST_TYPED_ARRAYS } from '../../host/sim/espruino-shim.ts';
import type { ContractCase } from './cases.ts';

export type CaseStatus = 'pass' | 'fail' | 'skipped';

export interface CaseOutcome {
  name: string;
  status: CaseStatus;
  /** True iff status is 'pass' (a skipped case is never a pass). */
  pass: boolean;
  /** Why a case was skipped (what the engine lacks). */
  reason?: string;
  /** What the case printed (the failure list on failure). */
  output: string;
}

/** The reason a case printed with notApplicable() (test/contract/cases.ts), if it did. */
export function skipReasonIn(output: string): string | undefined {
  // at a line start: Espruino's failure dump quotes the case source, which contains the marker text
  return /^contract skipped: ([^\r\n]*)/m.exec(output)?.[1]?.trim();
}

/** Classifies a run: skipped when the case said so (whatever `result` was), else pass iff it passed. */
export function outcome(name: string, passed: boolean, output: string): CaseOutcome {
  const reason = skipReasonIn(output);
  if (reason !== undefined) return { name, status: 'skipped', pass: false, reason, output };
  return { name, status: passed ? 'pass' : 'fail', pass: passed, output };
}

export const repoRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');

/** Writes the cases as files (for engine runs and by-hand debugging); returns name -> path. */
export function writeCases(cases: ContractCase[], dir = path.join(repoRoot, 'build', 'contract')): Map<string, string> {
  mkdirSync(dir, { recursive: true });
  const files = new Map<string, string>();
  for (const c of cases) {
    const file = path.join(dir, `${c.name}.js`);
    writeFileSync(file, c.source);
    files.set(c.name, file);
  }
  return files;
}

/** Runs one case against a `tbn` module object in a fresh vm context (Espruino-style `require`). */
export function runInVm(c: ContractCase, tbnModule: unknown, modules: Record<string, unknown> = {}): CaseOutcome {
  const lines: string[] = [];
  const globals: Record<string, unknown> = {
    console: { log: (...a: unknown[]) => lines.push(a.map(String).join(' ')) },
    require: (name: string) => {
      if (name === 'tbn') return tbnModule;
      if (name in modules) return modules[name];
      throw new Error(`require: no module "${name}"`);
    },
    // This realm's constructors, so values crossing the module boundary keep their identity.
    Error,
    TypeError,
    ...HOST_TYPED_ARRAYS,
  };
  const context = vm.createContext(globals);
  try {
    new vm.Script(c.source, { filename: `${c.name}.js` }).runInContext(context, { timeout: 20_000 });
  } catch (e) {
    lines.push(`uncaught: ${(e as Error).stack ?? String(e)}`);
    return outcome(c.name, false, lines.join('\n'));
  }
  return outcome(c.name, context.result === true, lines.join('\n'));
}

export type EngineKind = 'espruino' | 'jerryscript';

/** Runs one case file with an engine binary's test mode. */
export function runInEngine(kind: EngineKind, bin: string, name: string, file: string): CaseOutcome {
  // the case runs in its own folder: a relative binary path is the caller's
  const exe = bin.includes('/') ? path.resolve(bin) : bin;
  const r = spawnSync(exe, ['--test', file], { encoding: 'latin1', timeout: 60_000, cwd: path.dirname(file) });
  const output = `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? `\n${r.error.message}` : ''}`;
  // Espruino prints "PASS <file>" in its test summary; our host main prints "PASS <file>".
  const pass = r.status === 0 && /PASS/.test(output) && !/FAIL/.test(output.replace(/contract ok/g, ''));
  const relevant = output
    .split('\n')
    .filter((l) => /contract|Uncaught|Error|FAIL|PASS/.test(l))
    .join('\n');
  return outcome(name, pass, kind === 'espruino' ? relevant : output.trim());
}
