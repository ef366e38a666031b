/**
 * Bounded libFuzzer run of tbn_model_open + tbn_run_ex under ASan and UBSan
 * (build/native/tbn_fuzz, native-modules/host/tbn_fuzz.c), seeded with valid
 * random models. TBN_FUZZ_SECONDS overrides the 60 s budget.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { randomPackedModel } from '../../host/format/random-model.ts';
import { artifact } from './harness.ts';

const SECONDS = Number(process.env.TBN_FUZZ_SECONDS ?? 60);

/** Runs the fuzzer without blocking the test worker's event loop (vitest's RPC times out on a long sync call). */
function runFuzzer(file: string, args: string[], timeoutMs: number): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { env: { ...process.env, ASAN_OPTIONS: 'detect_leaks=1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

describe('fuzz: open + run never crash, leak or trip a sanitizer', () => {
  it(`libFuzzer for ${SECONDS} s from a seed corpus of valid models`, async () => {
    const fuzzer = artifact('tbn_fuzz');
    const dir = mkdtempSync(join(tmpdir(), 'tbn-fuzz-'));
    try {
      const corpus = join(dir, 'corpus');
      mkdirSync(corpus);
      for (let seed = 1; seed <= 80; seed++) writeFileSync(join(corpus, `seed${seed}.tbn`), randomPackedModel(seed, { maxMacs: 4000 }));
      const run = await runFuzzer(
        fuzzer,
        [`-max_total_time=${SECONDS}`, '-timeout=10', '-rss_limit_mb=1024', '-max_len=16384', `-artifact_prefix=${dir}/`, '-print_final_stats=1', corpus],
        (SECONDS + 60) * 1000,
      );
      const log = `${run.stdout}\n${run.stderr}`;
      const runs = Number(/stat::number_of_executed_units:\s*(\d+)/.exec(log)?.[1] ?? 0);
      expect(log).not.toMatch(/ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:|deadly signal/);
      expect(run.status, log.slice(-3000)).toBe(0);
      expect(runs).toBeGreaterThan(1000);
      console.log(`tbn_fuzz: ${runs} executions in ${SECONDS} s, no findings`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, (SECONDS + 90) * 1000);
});
