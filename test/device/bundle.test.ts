import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'acorn';
import { beforeAll, describe, expect, it } from 'vitest';
import { hoistingProblems } from './hoisting.ts';

const root = path.resolve(__dirname, '../..');
const bundleFile = path.join(root, 'build/device/app.js');

describe('device bundle', () => {
  beforeAll(() => {
    execFileSync(process.execPath, [path.join(root, 'device/build.mjs')], { cwd: root, stdio: 'pipe' });
  });

  it('is plain ES5 (acorn ecmaVersion 5 parses it)', () => {
    const code = readFileSync(bundleFile, 'utf8');
    expect(() => parse(code, { ecmaVersion: 5, sourceType: 'script' })).not.toThrow();
  });

  it('the ES5 check rejects newer syntax', () => {
    for (const src of ['let x = 1;', 'var f = () => 1;', 'var s = `t`;', 'class A {}', 'function* g() {}', 'async function f() {}', 'var {a} = o;']) {
      expect(() => parse(src, { ecmaVersion: 5, sourceType: 'script' }), src).toThrow();
    }
  });

  it('does not rely on function hoisting (Espruino has none)', () => {
    const code = readFileSync(bundleFile, 'utf8');
    expect(hoistingProblems(parse(code, { ecmaVersion: 5, sourceType: 'script' }))).toEqual([]);
    // The check finds direct and indirect use before declaration.
    const bad = 'function a() { b(); }\na();\nfunction b() {}\n(function () { c(); function c() {} })();';
    expect(hoistingProblems(parse(bad, { ecmaVersion: 5 }))).toHaveLength(2);
    const good = 'function b() {}\nfunction a() { b(); }\na();\nvar f = function () { return g; };\nfunction g() {}';
    expect(hoistingProblems(parse(good, { ecmaVersion: 5 }))).toEqual([]);
  });

  it('stays a few kilobytes (Espruino keeps the code in 13-14 byte JS variables)', () => {
    const bytes = statSync(bundleFile).size;
    expect(bytes).toBeGreaterThan(1000);
    // 6,463 B with the serial path only; the MPU-6050 and Bangle.js sensor code (drivers, modes, RAW frames) brought it to
    // ~12.8 KB, the int16 sensor path and its start-up check of tbn.cfg's triples to ~13.1 KB.
    expect(bytes).toBeLessThan(13.5 * 1024);
  });

  it('uses only Espruino globals the simulator shim provides', () => {
    const code = readFileSync(bundleFile, 'utf8');
    expect(code).toMatch(/Serial1/);
    expect(code).toMatch(/"Storage"/);
    expect(code).toMatch(/"tbn"/);
    expect(code).not.toMatch(/\bimport\b|\bexport\b|\brequire\("(fs|path|node:)/);
  });
});
