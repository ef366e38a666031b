/** jobMismatches (qemu.ts), the check every board test ends with, on made-up harness outputs: no QEMU needed. */
import { describe, expect, it } from 'vitest';
import { type ExpectedJobs, jobMismatches, type RunOutput } from './qemu.ts';

const job = { model: new Uint8Array(0), inputs: new Int8Array(4), inputLen: 2 };
const cases: ExpectedJobs = {
  jobs: [job, job],
  expected: [
    [{ cls: 1, logits: [3, 7] }, { cls: 0, logits: [5, -2] }],
    [{ status: 9 }],
  ],
  names: ['a', 'refused'],
};

function output(windows: Array<Array<{ status: number; cls: number; logits: number[] }>>): RunOutput {
  return { jobs: windows.map((w) => ({ openStatus: 0, badLayer: -1, windows: w })), elfPath: '' };
}

const full = [
  [{ status: 0, cls: 1, logits: [3, 7] }, { status: 0, cls: 0, logits: [5, -2] }],
  [{ status: 9, cls: 0, logits: [] }],
];

describe('jobMismatches', () => {
  it('accepts a run that matches every window, status windows included', () => {
    expect(jobMismatches(output(full), cases)).toEqual([]);
  });
  it('reports a job whose harness printed fewer windows, or none', () => {
    expect(jobMismatches(output([full[0]!.slice(0, 1), full[1]!]), cases)).toEqual(['a: 1 windows ran, expected 2']);
    expect(jobMismatches(output([[], []]), cases)).toEqual(['a: 0 windows ran, expected 2', 'refused: 0 windows ran, expected 1']);
  });
  it('reports a missing job', () => {
    expect(jobMismatches(output([full[0]!]), cases)).toEqual(['1 jobs ran, expected 2']);
  });
  it('reports wrong logits and a wrong status', () => {
    const bad = [[full[0]![0]!, { status: 0, cls: 0, logits: [5, -3] }], [{ status: 0, cls: 0, logits: [1] }]];
    expect(jobMismatches(output(bad), cases)).toEqual(['a window 1: got 0 [5,-3] expected 0 [5,-2]', 'refused window 0: status 0, expected 9']);
  });
});
