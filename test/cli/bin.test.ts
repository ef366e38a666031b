/** bin/tbn.js: runs the compiled CLI when dist/ is there, says how to build it when not. */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** A package folder holding only bin/tbn.js, and optionally a stand-in compiled CLI and sources. */
const made: string[] = [];
afterAll(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

function fakePackage(o: { dist?: boolean; sources?: boolean; stampAge?: number }): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'tbn-bin-'));
  made.push(dir);
  mkdirSync(path.join(dir, 'bin'));
  copyFileSync(path.join(repo, 'bin', 'tbn.js'), path.join(dir, 'bin', 'tbn.js'));
  writeFileSync(path.join(dir, 'package.json'), '{"type":"module"}');
  if (o.dist) {
    mkdirSync(path.join(dir, 'dist', 'host'), { recursive: true });
    writeFileSync(path.join(dir, 'dist', 'host', 'cli.js'), 'export async function main(argv) { console.log("compiled " + argv.join(" ")); return 0; }\n');
    writeFileSync(path.join(dir, 'dist', '.built'), '');
    if (o.stampAge) {
      const t = Date.now() / 1000 - o.stampAge;
      utimesSync(path.join(dir, 'dist', '.built'), t, t);
    }
  }
  if (o.sources) {
    mkdirSync(path.join(dir, 'host'));
    writeFileSync(path.join(dir, 'host', 'cli.ts'), 'export async function main(argv: string[]): Promise<number> { console.log("sources " + argv.join(" ")); return 0; }\n');
  }
  return dir;
}

const run = (dir: string, ...args: string[]) => spawnSync(process.execPath, [path.join(dir, 'bin', 'tbn.js'), ...args], { encoding: 'utf8', timeout: 30_000, env: { ...process.env, NODE_PATH: '' } });

describe('bin/tbn.js', () => {
  it('an installed package (no sources) runs dist/host/cli.js', () => {
    const r = run(fakePackage({ dist: true }), '--version');
    expect(r.stdout).toBe('compiled --version\n');
    expect(r.status).toBe(0);
  });

  it('an installed package without dist/ says it was packed without its build', () => {
    const r = run(fakePackage({}), '--help');
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/dist\/host\/cli\.js is missing: this package was packed without its build \(npm run build\)/);
  });

  it('a checkout with a fresh dist/ runs the compiled CLI', () => {
    const dir = fakePackage({ dist: true, sources: true, stampAge: -60 });
    expect(run(dir, 'x').stdout).toBe('compiled x\n');
  });

  it('a checkout whose dist/ is older than host/ does not run the stale build (tsx there, or how to build it)', () => {
    const dir = fakePackage({ dist: true, sources: true, stampAge: 3600 });
    const r = run(dir, 'x');
    // No tsx beside this fake checkout: it must say how to build, never run the stale compiled CLI.
    expect(r.stdout).not.toContain('compiled');
    expect(r.stderr).toContain('dist/ is older than host/ and tsx is not installed; build the CLI with: npm run build');
    expect(r.status).toBe(1);
  });
});
