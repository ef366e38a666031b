/**
 * A fake Espruino on one end of a pty: echoes what it is sent (except lines
 * starting with DLE 0x10, Espruino's "no echo" marker), answers each line with
 * "=undefined" and the '>' prompt, answers Ctrl-C with a prompt, and answers
 * EspruinoTools' `print("<","<<",JSON.stringify(EXPR),">>",">")` queries: process.env
 * with a fixed object, anything else evaluated against its Storage (which
 * `require("Storage").write(...)` lines fill) with `E.CRC32`. It records every byte it receives.
 */
import vm from 'node:vm';
import { SerialPort } from 'serialport';
import { crc32 } from '../../host/format/crc32.ts';

export interface FakeEspruino {
  received(): Buffer;
  /** Complete lines received, without CR/LF and without the leading DLE. */
  lines(): string[];
  /** Storage files as binary strings. */
  storage: Map<string, string>;
  close(): Promise<void>;
}

export interface FakeEspruinoOptions {
  /** Flips one bit of what Storage keeps for this file (a flash write gone wrong). */
  corruptFile?: string;
}

export const FAKE_ENV = { VERSION: '2v29', BOARD: 'STM32F4DISCOVERY', MODULES: 'Storage,tbn', CONSOLE: 'USB' };

/** The part of Espruino's API the flash writes and read-back use, over a Map of binary strings. */
function storageContext(storage: Map<string, string>, corruptFile: string | undefined): vm.Context {
  const Storage = {
    write(name: string, data: string, offset = 0, total?: number) {
      let cur = storage.get(name) ?? '';
      if (total !== undefined) cur = '\xff'.repeat(total);
      cur = cur.slice(0, offset) + data + cur.slice(offset + data.length);
      if (name === corruptFile && offset === 0) cur = String.fromCharCode(cur.charCodeAt(0) ^ 1) + cur.slice(1);
      storage.set(name, cur);
      return true;
    },
    read(name: string) {
      return storage.get(name);
    },
  };
  return vm.createContext({
    require: (m: string) => (m === 'Storage' ? Storage : undefined),
    atob: (s: string) => Buffer.from(s, 'base64').toString('latin1'),
    E: { CRC32: (d: string) => crc32(Buffer.from(d, 'latin1'), 0, d.length) },
    reset: () => undefined,
    load: () => undefined,
  });
}

export async function startFakeEspruino(path: string, opts: FakeEspruinoOptions = {}): Promise<FakeEspruino> {
  const storage = new Map<string, string>();
  const context = storageContext(storage, opts.corruptFile);
  const port = new SerialPort({ path, baudRate: 115200, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((e) => (e ? reject(e) : resolve())));
  const chunks: Buffer[] = [];
  const lines: string[] = [];
  let line = '';
  const reply = (s: string) => port.write(Buffer.from(s, 'latin1'));
  port.on('data', (data: Buffer) => {
    chunks.push(Buffer.from(data));
    for (const byte of data) {
      const ch = String.fromCharCode(byte);
      if (byte === 0x03) {
        line = '';
        reply('\r\n>');
        continue;
      }
      if (ch === '\r') continue;
      if (ch !== '\n') {
        line += ch;
        continue;
      }
      const quiet = line.startsWith('\x10');
      const text = quiet ? line.slice(1) : line;
      lines.push(text);
      line = '';
      if (!quiet) reply(`${text}\r\n`);
      const query = /^print\("<","<<",JSON\.stringify\((.*)\),">>",">"\)$/.exec(text);
      if (query) {
        let value: unknown;
        try {
          value = query[1] === 'process.env' ? FAKE_ENV : vm.runInContext(query[1] as string, context);
        } catch {
          value = undefined;
        }
        reply(`< <<${JSON.stringify(value)}>> >\r\n>`);
      } else {
        if (text.startsWith('require("Storage").write(')) vm.runInContext(text, context);
        reply('=undefined\r\n>');
      }
    }
  });
  return {
    received: () => Buffer.concat(chunks),
    lines: () => lines.slice(),
    storage,
    close: () => new Promise<void>((resolve) => (port.isOpen ? port.close(() => resolve()) : resolve())),
  };
}
