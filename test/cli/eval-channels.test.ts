/** issue 16 #11: `tbn eval` and `tbn report --eval` with --data csv:FILE match the CSV's columns by the checkpoint's channel names. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../host/cli.ts';
import { defaultHarRoot, HAR_CLASSES, listRecordings, loadRecording } from '../../host/data/sp-sw-har.ts';
import { captureIO, runCli } from './cli-io.ts';

const here = path.dirname(new URL(import.meta.url).pathname);
const checkpoint = path.join(here, '../fixtures/models/har-tbn4.ckpt.json');
const root = defaultHarRoot();

/** Writes s15's first recordings as one CSV with the given column order (a uniform 50 Hz stream). */
function writeCsv(file: string, columns: string[]): void {
  const recs = listRecordings(root as string, ['s15']).slice(0, 3).map((f) => loadRecording(f));
  const lines = [columns.join(',')];
  for (const r of recs) {
    for (let k = 0; k < r.count; k++) {
      lines.push(columns.map((c) => (c === 'label' ? HAR_CLASSES[r.labels[k] as number] : String(r.samples[k * r.channels.length + r.channels.indexOf(c)]))).join(','));
    }
  }
  writeFileSync(file, `${lines.join('\n')}\n`);
}

describe.skipIf(root === undefined)('tbn eval --data csv: columns by name (needs ../shared/data/sp-sw-har)', () => {
  it('gives the same result for reordered columns, and refuses a CSV missing a trained channel by name', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tbn-eval-cols-'));
    const inOrder = path.join(dir, 'in-order.csv');
    const reordered = path.join(dir, 'reordered.csv');
    const missing = path.join(dir, 'missing.csv');
    writeCsv(inOrder, ['x_acc', 'y_acc', 'z_acc', 'x_gyro', 'y_gyro', 'z_gyro', 'label']);
    writeCsv(reordered, ['z_gyro', 'label', 'x_gyro', 'z_acc', 'y_acc', 'x_acc', 'y_gyro']);
    writeCsv(missing, ['x_acc', 'y_acc', 'z_acc', 'x_gyro', 'y_gyro', 'label']);
    const evalJson = async (file: string) => {
      const c = captureIO();
      const code = await main(['eval', checkpoint, '--data', `csv:${file}`, '--test', file, '--window-seconds', '2.56', '--json'], c);
      expect(code, c.stderr.join('\n')).toBe(0);
      return JSON.parse(c.stdout.join('')) as { packedAccuracy: number; floatAccuracy: number; confusion: number[][]; count: number };
    };
    const a = await evalJson(inOrder);
    const b = await evalJson(reordered);
    expect(a.count).toBeGreaterThan(10);
    expect(b.confusion).toEqual(a.confusion);
    expect(b.packedAccuracy).toBe(a.packedAccuracy);
    expect(b.floatAccuracy).toBe(a.floatAccuracy);
    const c = captureIO();
    expect(await main(['eval', checkpoint, '--data', `csv:${missing}`, '--test', missing, '--window-seconds', '2.56'], c)).toBe(1);
    expect(c.stderr.join('\n')).toMatch(/missing\.csv:1: missing feature column "z_gyro"/);
  }, 120_000);

  it('tbn report --eval gives the same accuracies for reordered columns', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tbn-report-cols-'));
    const inOrder = path.join(dir, 'in-order.csv');
    const reordered = path.join(dir, 'reordered.csv');
    writeCsv(inOrder, ['x_acc', 'y_acc', 'z_acc', 'x_gyro', 'y_gyro', 'z_gyro', 'label']);
    writeCsv(reordered, ['z_gyro', 'label', 'x_gyro', 'z_acc', 'y_acc', 'x_acc', 'y_gyro']);
    /** The accuracy lines of the page's confusion matrices (float model, then packed). */
    const accuracies = async (file: string): Promise<string[]> => {
      const out = path.join(dir, `${path.basename(file, '.csv')}.html`);
      const r = await runCli(['report', checkpoint, '--eval', '--data', `csv:${file}`, '--test', file, '--window-seconds', '2.56', '-o', out]);
      expect(r.code, r.err).toBe(0);
      return [...new Set([...readFileSync(out, 'utf8').matchAll(/(float, [^)<]*|integer reference)\): \d+\.\d\d% of [\d,]+/g)].map((m) => m[0]))];
    };
    const a = await accuracies(inOrder);
    expect(a.length).toBe(2);
    expect(await accuracies(reordered)).toEqual(a);
  }, 120_000);
});
