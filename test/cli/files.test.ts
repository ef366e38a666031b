/** issue 16 #7, #9, #15: what pack, build and stream do with the files and folders they are given. */
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './cli-io.ts';

const here = path.dirname(new URL(import.meta.url).pathname);
const checkpoint = path.join(here, '../fixtures/models/har-tbn4.ckpt.json');
const bundle = path.join(here, '../../build/device/app.js');
let dir: string;
let model: string;

const run = (...argv: string[]) => runCli(argv);
/** One line naming the problem: no stack trace, no "internal error". */
function oneLine(err: string): void {
  expect(err).not.toMatch(/internal error|\n\s+at |node:internal/);
  expect(err.trim().split('\n')).toHaveLength(1);
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'tbn-files-'));
  model = path.join(dir, 'm.tbn');
  const r = await run('pack', checkpoint, '-o', model);
  if (r.code !== 0) throw new Error(r.err);
});

describe('tbn pack writes only where it should (#7)', () => {
  it('refuses -o naming its own input, directly or through a link, and leaves the input unchanged', async () => {
    const ckpt = path.join(dir, 'own.ckpt.json');
    copyFileSync(checkpoint, ckpt);
    const before = readFileSync(ckpt);
    const link = path.join(dir, 'link.ckpt.json');
    symlinkSync(ckpt, link);
    for (const out of [ckpt, `${dir}/./own.ckpt.json`, link]) {
      const r = await run('pack', ckpt, '-o', out);
      expect(r.code, out).toBe(2);
      expect(r.err).toMatch(/is the checkpoint being packed/);
    }
    expect(readFileSync(ckpt).equals(before)).toBe(true);
  });
});

describe('tbn build -o DIR (#9, #15)', () => {
  const build = (out: string, ...more: string[]) => run('build', '--board', 'stm32f405', '--model', model, '--bundle', bundle, '-o', out, ...more);

  it('refuses a non-empty folder that holds no tbn build, unless --force; rebuilds its own folder', async () => {
    const theirs = path.join(dir, 'theirs');
    mkdirSync(theirs);
    writeFileSync(path.join(theirs, 'app.js'), 'my own app');
    writeFileSync(path.join(theirs, 'manifest.json'), '{"name":"my-project"}');
    const r = await build(theirs);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/output folder .*theirs is not empty and holds no tbn build \(app\.js, manifest\.json\).*--force/);
    expect(readFileSync(path.join(theirs, 'app.js'), 'utf8')).toBe('my own app');
    expect((await build(theirs, '--force')).code).toBe(0);
    const ours = path.join(dir, 'ours');
    expect((await build(ours)).code).toBe(0);
    expect((await build(ours)).code).toBe(0); // our own build folder is rebuilt
    expect(readdirSync(ours).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('names the path and the error code in one line: -o a file, a path under /dev/full, a folder named app.js', async () => {
    const file = path.join(dir, 'a-file');
    writeFileSync(file, 'x');
    let r = await build(file);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/a-file: exists and is not a folder/);
    oneLine(r.err);

    r = await build('/dev/full/out');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/cannot create the output folder \/dev\/full\/out: ENOTDIR/);
    oneLine(r.err);

    const blocked = path.join(dir, 'blocked');
    mkdirSync(path.join(blocked, 'app.js'), { recursive: true });
    r = await build(blocked, '--force');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/cannot write .*blocked\/app\.js: EISDIR/);
    oneLine(r.err);
    expect(readdirSync(blocked).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});

describe('stream --recording given a folder (#15)', () => {
  it('is one line naming the path and that it is a folder', async () => {
    const r = await run('stream', '--port', '/dev/null', '--recording', dir);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/is a directory, not a regular file/);
    oneLine(r.err);
  });
});
