/**
 * The one way tbn reads and writes user files.
 * Writes go to a temporary file in the same folder, are fsynced, then renamed over the target,
 * so a failed write (full disk, EFBIG, Ctrl-C) never truncates the previous good file.
 * Reads refuse special files (/dev/zero, FIFOs, ttys) and anything over a size cap before reading.
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import path from 'node:path';
import { TbnError } from '../errors.ts';

/** One line naming the file and the system error code, e.g. "out/app.js: EACCES (permission denied)". */
export function fileErrorMessage(file: string, err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e && typeof e.code === 'string') {
    const why = (e.message ?? '').replace(/^[A-Z]+: /, '').replace(/,.*$/, '');
    return `${file}: ${e.code}${why ? ` (${why})` : ''}`;
  }
  return `${file}: ${e instanceof Error ? e.message : String(err)}`;
}

/**
 * Writes `data` to `file` atomically: temp file in the same folder, fsync, rename.
 * On any failure the temp file is removed and a TbnError('E_WRITE') names the file and the code.
 */
export function writeFileAtomic(file: string, data: Uint8Array | string): void {
  const dir = path.dirname(path.resolve(file));
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.tmp`);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, 'w', 0o644);
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    let off = 0;
    while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, file);
  } catch (err) {
    if (fd !== undefined) {
      try {
        closeSync(fd);
      } catch {
        // already failing: the original error is the one to report
      }
    }
    rmSync(tmp, { force: true });
    throw new TbnError('E_WRITE', `cannot write ${fileErrorMessage(file, err)}`);
  }
}

/**
 * Reads a regular file of at most `maxBytes`. `what` names the file's role in the error
 * ("model", "recording"). Refuses directories, devices, FIFOs and sockets without opening them.
 */
export function readRegularFile(file: string, maxBytes: number, what: string): Buffer {
  let st;
  try {
    st = statSync(file);
  } catch (err) {
    throw new TbnError('E_READ', `cannot read ${what} ${fileErrorMessage(file, err)}`);
  }
  if (st.isDirectory()) throw new TbnError('E_READ', `${what} ${file}: is a directory, not a regular file`);
  if (!st.isFile()) throw new TbnError('E_READ', `${what} ${file}: not a regular file`);
  if (st.size > maxBytes) {
    throw new TbnError('E_READ', `${what} ${file}: ${st.size} bytes, more than the ${maxBytes}-byte limit`);
  }
  try {
    return readFileSync(file);
  } catch (err) {
    throw new TbnError('E_READ', `cannot read ${what} ${fileErrorMessage(file, err)}`);
  }
}
