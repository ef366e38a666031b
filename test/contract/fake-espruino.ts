/**
 * A fake Espruino on one end of a pty: echoes what it is sent (except lines
 * starting with DLE 0x10, Espruino's "no echo" marker), answers each line with
 * "=undefined" and the '>' prompt, answers Ctrl-C with a prompt, and answers
 * EspruinoTools' `print("<","<<",JSON.stringify(process.env),">>",">")` with a
 * fixed process.env. It records every byte it receives.
 */
import { SerialPort } from 'serialport';

export interface FakeEspruino {
  received(): Buffer;
  /** Complete lines received, without CR/LF and without the leading DLE. */
  lines(): string[];
  close(): Promise<void>;
}

export const FAKE_ENV = { VERSION: '2v29', BOARD: 'STM32F4DISCOVERY', MODULES: 'Storage,tbn', CONSOLE: 'USB' };

export async function startFakeEspruino(path: string): Promise<FakeEspruino> {
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
      if (query) reply(`< <<${query[1] === 'process.env' ? JSON.stringify(FAKE_ENV) : 'undefined'}>> >\r\n>`);
      else reply('=undefined\r\n>');
    }
  });
  return {
    received: () => Buffer.concat(chunks),
    lines: () => lines.slice(),
    close: () => new Promise<void>((resolve) => (port.isOpen ? port.close(() => resolve()) : resolve())),
  };
}
