import { mkdtempSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readRegularFile, writeFileAtomic } from '../../host/io/files.ts';

describe('host/io/files', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tbn-files-'));

  it('writes through a temporary file and leaves only the target', () => {
    const f = path.join(dir, 'a.bin');
    writeFileAtomic(f, new Uint8Array([1, 2, 3]));
    writeFileAtomic(f, 'hello');
    expect(readFileSync(f, 'utf8')).toBe('hello');
    expect(readdirSync(dir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('a failed write names the file and the code, and keeps the previous file', () => {
    const f = path.join(dir, 'keep.bin');
    writeFileSync(f, 'good');
    mkdirSync(path.join(dir, 'sub'));
    expect(() => writeFileAtomic(path.join(dir, 'sub'), 'x')).toThrow(/sub: EISDIR/);
    expect(() => writeFileAtomic(path.join(dir, 'missing', 'x.bin'), 'x')).toThrow(/x\.bin: ENOENT/);
    expect(readFileSync(f, 'utf8')).toBe('good');
    expect(readdirSync(dir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('refuses special files and oversized files before reading them', () => {
    expect(() => readRegularFile('/dev/zero', 1 << 20, 'model')).toThrow('model /dev/zero: not a regular file');
    expect(() => readRegularFile(dir, 1 << 20, 'model')).toThrow(/is a directory/);
    const fifo = path.join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    expect(() => readRegularFile(fifo, 1 << 20, 'model')).toThrow(/not a regular file/);
    const big = path.join(dir, 'big');
    writeFileSync(big, Buffer.alloc(101));
    expect(() => readRegularFile(big, 100, 'model')).toThrow('101 bytes, more than the 100-byte limit');
    expect(readRegularFile(big, 101, 'model').length).toBe(101);
    expect(() => readRegularFile(path.join(dir, 'nope'), 10, 'model')).toThrow(/nope: ENOENT/);
  });
});
