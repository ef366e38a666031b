import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'acorn';
import { beforeAll, describe, expect, it } from 'vitest';

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

  it('stays a few kilobytes (Espruino keeps the code in 13-14 byte JS variables)', () => {
    const bytes = statSync(bundleFile).size;
    expect(bytes).toBeGreaterThan(1000);
    expect(bytes).toBeLessThan(8 * 1024);
  });

  it('uses only Espruino globals the simulator shim provides', () => {
    const code = readFileSync(bundleFile, 'utf8');
    expect(code).toMatch(/Serial1/);
    expect(code).toMatch(/"Storage"/);
    expect(code).toMatch(/"tbn"/);
    expect(code).not.toMatch(/\bimport\b|\bexport\b|\brequire\("(fs|path|node:)/);
  });
});
