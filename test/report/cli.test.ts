/**
 * `tbn report` and the reports `tbn train` writes, without a browser: the page is self-contained
 * (no script, no external reference), the --eval confusion matrix agrees with `tbn eval`, and bad
 * inputs fail with one line naming the file or flag.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../cli/cli-io.ts';

const DATA = ['--data', 'synthetic', '--limit', '300'];

describe('tbn report (command line)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tbn-report-cli-'));
  const prefix = path.join(dir, 'm');

  it('tbn train writes PREFIX-report.html by default and prints its path; --no-report writes none', async () => {
    const r = await runCli(['train', ...DATA, '--arch', 'conv1d:8x5 gap', '--variants', 'bnn,tbn', '--layer-p', '4,1', '--min-tile-size', '16', '--epochs', '1', '--lr', '1e-3', '-o', prefix]);
    expect(r.code).toBe(0);
    expect(r.out).toContain(`report: ${prefix}-report.html`);
    expect(existsSync(`${prefix}-report.html`)).toBe(true);
    const quiet = path.join(dir, 'q');
    const n = await runCli(['train', ...DATA, '--arch', 'conv1d:8x5 gap', '--variants', 'tbn', '--epochs', '1', '--lr', '1e-3', '--no-report', '-o', quiet]);
    expect(n.code).toBe(0);
    expect(n.out).not.toContain('report:');
    expect(existsSync(`${quiet}-report.html`)).toBe(false);
  });

  it('the page is self-contained: no script, no external src/href, every image inline', () => {
    const html = readFileSync(`${prefix}-report.html`, 'utf8');
    expect(html).not.toMatch(/<script/i);
    for (const m of html.matchAll(/\s(?:src|href)="([^"]*)"/g)) expect(m[1]).toMatch(/^(data:|#)/);
    expect(html).not.toMatch(/https?:\/\/(?!www\.w3\.org\/)/);
    // The effective command (defaults written out) stands under the figures.
    expect(html).toMatch(/<code>tbn train [^<]*--epochs 1 [^<]*--data synthetic --limit 300/);
  });

  it('--eval: the packed model\'s confusion matrix has the accuracy tbn eval reports for the same .tbn and split', async () => {
    const model = path.join(dir, 'm.tbn');
    expect((await runCli(['pack', `${prefix}-tbn.ckpt.json`, '-o', model])).code).toBe(0);
    const ev = JSON.parse((await runCli(['eval', model, ...DATA, '--seed', '1', '--json'])).out) as { packedAccuracy: number; count: number; confusion: number[][] };
    const out = path.join(dir, 'eval.html');
    const r = await runCli(['report', `${prefix}-bnn.ckpt.json`, `${prefix}-tbn.ckpt.json`, '--model', model, '--eval', ...DATA, '-o', out]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const html = readFileSync(out, 'utf8');
    // Three heatmaps: both float models and the packed one, titled with accuracy and count.
    expect(html.match(/data-figure="confusion"/g)?.length).toBe(3);
    expect(html).toContain(`integer reference): ${(100 * ev.packedAccuracy).toFixed(2)}% of ${ev.count.toLocaleString('en-US')}`);
  });

  it('bad inputs: one line naming the file or the flag', async () => {
    const none = await runCli(['report']);
    expect(none.code).toBe(2);
    expect(none.err).toMatch(/give one or more checkpoints/);
    const tbnAsCkpt = await runCli(['report', path.join(dir, 'm.tbn')]);
    expect(tbnAsCkpt.code).toBe(2);
    expect(tbnAsCkpt.err).toMatch(/m\.tbn is a \.tbn model: give it with --model/);
    const badStream = path.join(dir, 'stream.json');
    writeFileSync(badStream, JSON.stringify({ predictions: 3 }));
    const s = await runCli(['report', `${prefix}-tbn.ckpt.json`, '--stream', badStream, '-o', path.join(dir, 'x.html')]);
    expect(s.code).toBe(1);
    expect(s.err.trim()).toBe(`tbn report: ${badStream}: not a tbn stream --json report ("classes" and "confusion" are required)`);
    const badBench = path.join(dir, 'bench');
    const b = await runCli(['report', `${prefix}-tbn.ckpt.json`, '--bench', badBench, '-o', path.join(dir, 'x.html')]);
    expect(b.code).toBe(1);
    expect(b.err).toContain(`${badBench}`);
    const dataWithoutEval = await runCli(['report', `${prefix}-tbn.ckpt.json`, '--data', 'synthetic']);
    expect(dataWithoutEval.code).toBe(2);
    expect(dataWithoutEval.err).toMatch(/add --eval/);
    const notCkpt = path.join(dir, 'notes.json');
    writeFileSync(notCkpt, '{"format":"other"}');
    const c = await runCli(['report', notCkpt]);
    expect(c.code).toBe(1);
    expect(c.err).toContain(`${notCkpt}: not a tbn training checkpoint`);
    expect(existsSync(path.join(dir, 'x.html'))).toBe(false);
  });
});
