/*
 * Uploads a tbn build to an Espruino board with EspruinoTools (npm `espruino`),
 * in its own process because EspruinoTools installs globals (es6-shim, a
 * global `Espruino`, `require`) and prints freely.
 *
 *   node espruino-worker.cjs '{"port":..., "baud":..., "model":FILE, "app":FILE, "storageName":"model.tbn"}'
 *
 * What is sent (EspruinoTools' own code paths):
 *   reset();                                   RESET_BEFORE_SEND
 *   require("Storage").write("model.tbn", atob(...), offset[, total])   Utils.getUploadFileCode, 384-byte chunks
 *   require("Storage").write(".bootcde", "...", offset[, total])         saveOnSend plugin, SAVE_ON_SEND=1
 *   then it reads back each file's length and CRC32 (require("Storage").read + E.CRC32) and
 *   compares them with what was sent; only then
 *   load()                                     runs .bootcde now and at every boot
 * A port where no Espruino answers the process.env query (silent, or only echoing) fails before sending.
 * stdout: one JSON object per line: {"event":"log"|"status"|"progress"|"verified"|"done"|"error", ...}.
 */
'use strict';
const fs = require('fs');

const emit = (o) => process.stdout.write(JSON.stringify(o) + '\n');
const opts = JSON.parse(process.argv[2] || '{}');
// EspruinoTools logs with console.log; keep stdout for our JSON lines.
console.log = (...a) => emit({ event: 'log', text: a.map(String).join(' ') });
console.warn = console.log;
console.error = (...a) => emit({ event: 'log', level: 'error', text: a.map(String).join(' ') });

const fail = (message) => {
  emit({ event: 'error', message });
  process.exit(1);
};
// Whatever escapes (e.g. serialport's 'error' event on a missing port) is one line, not a Node dump.
process.on('uncaughtException', (e) => fail(`${opts.port}: ${String((e && e.message) || e).replace(/^(Error: )+/, '').split('\n')[0]}`));
try {
  if (!fs.statSync(opts.port).isCharacterDevice()) fail(`${opts.port} is not a serial port (not a character device)`);
} catch (e) {
  fail(`cannot open ${opts.port}: ${e.code || e.message}`);
}
const timer = setTimeout(() => fail(`no answer from ${opts.port} within ${opts.timeoutSec || 120} s`), (opts.timeoutSec || 120) * 1000);

const hex = (n) => (n >>> 0).toString(16).padStart(8, '0');
/** zlib CRC-32 of a binary string (what Espruino's E.CRC32 computes). */
function crc32(text) {
  let c = 0xffffffff;
  for (let i = 0; i < text.length; i++) {
    c ^= text.charCodeAt(i) & 0xff;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}
/** Length and CRC32 of the model file and of .bootcde as the board stores them ([-1, 0] when absent). */
const VERIFY_EXPRESSION = (name) =>
  `(function(){var S=require("Storage"),r=[];[${JSON.stringify(name)},".bootcde"].forEach(function(n){var d=S.read(n);` +
  `r.push(d===undefined?-1:d.length,d===undefined?0:E.CRC32(d)>>>0);});return r;})()`;

const espruino = require(opts.espruinoModule || 'espruino');
espruino.init(() => {
  const E = global.Espruino;
  E.Config.BAUD_RATE = String(opts.baud || 115200);
  E.Config.RESET_BEFORE_SEND = true;
  E.Config.SAVE_ON_SEND = 1; // app -> Storage ".bootcde", executed at boot
  E.Config.LOAD_STORAGE_FILE = 0; // load() only after the read-back matched (below)
  E.Config.SET_TIME_ON_WRITE = false;
  E.Config.MINIFICATION_LEVEL = '';
  E.Config.MODULE_MINIFICATION_LEVEL = '';
  E.Config.PRETOKENISE = false;
  E.Config.STORE_LINE_NUMBERS = false;
  E.Config.SERIAL_THROTTLE_SEND = 0;

  let total = 0;
  let sent = 0;
  let uploadBytes = Infinity; // progress of the model + app transfer only, not of the short queries before it
  E.Core.Status = {
    setStatus(text, len) {
      if (len) {
        total = len;
        sent = 0;
      }
      emit({ event: 'status', text: String(text), total: len || 0 });
    },
    hasProgress() {
      return total > 0;
    },
    incrementProgress(amount) {
      sent += amount;
      if (total >= uploadBytes) emit({ event: 'progress', sent, total });
    },
  };

  // Serial ports only: the Bluetooth back-ends probe D-Bus/HCI and can crash the process without them.
  const devices = E.Core.Serial.devices;
  for (let i = devices.length - 1; i >= 0; i--) if (devices[i].name !== 'Node Serial') devices.splice(i, 1);
  if (devices.length === 0) fail('EspruinoTools has no serial back-end (is the "serialport" package installed?)');
  // Ports that serialport.list() does not report (a pty, a /dev/serial/by-id link) are still openable.
  for (const device of devices) {
    if (device.name !== 'Node Serial') continue;
    const getPorts = device.getPorts;
    device.getPorts = (cb) =>
      getPorts((ports, instant) => {
        const list = ports || [];
        if (!list.some((p) => p.path === opts.port)) list.push({ path: opts.port, description: 'given with --port' });
        cb(list, instant);
      });
  }

  const model = fs.readFileSync(opts.model, { encoding: 'binary' });
  const app = fs.readFileSync(opts.app, { encoding: 'binary' });
  E.Core.Serial.startListening(() => {});
  E.Core.Serial.open(
    opts.port,
    (status) => {
      if (status === undefined) fail(`cannot open ${opts.port}`);
      const env = E.Core.Env.getData();
      // EspruinoTools queried process.env on connect; a silent or echoing port leaves it empty.
      if (!env || !env.VERSION) fail(`no Espruino answered on ${opts.port} (no reply to the process.env query)`);
      emit({ event: 'connected', board: env.BOARD, version: env.VERSION });
      // Further Storage files (the device config tbn.cfg of tbn build --sensor) go up with the model.
      const extra = (opts.extraFiles || []).map((f) => E.Core.Utils.getUploadFileCode(f.name, fs.readFileSync(f.file, { encoding: 'binary' })));
      const modelCode = [E.Core.Utils.getUploadFileCode(opts.storageName || 'model.tbn', model), ...extra].join('\n');
      E.callProcessor('transformForEspruino', app, (appCode) => {
        const code = `${modelCode}\n${appCode}`;
        uploadBytes = code.length;
        emit({ event: 'status', text: `sending ${code.length} bytes (model ${model.length} B, app ${app.length} B)`, total: 0 });
        E.Core.CodeWriter.writeToEspruino(code, () => {
          // EspruinoTools reports progress per line as it queues; the last lines can land after this callback.
          emit({ event: 'progress', sent: code.length, total: code.length });
          emit({ event: 'sent', bytes: code.length });
          const want = [model.length, crc32(model), app.length, crc32(app)];
          E.Core.Utils.executeExpression(VERIFY_EXPRESSION(opts.storageName || 'model.tbn'), (result) => {
            let got;
            try {
              got = JSON.parse(result);
            } catch {
              got = undefined;
            }
            if (!Array.isArray(got) || got.length !== 4) fail(`no Espruino answered on ${opts.port} when reading the files back (${result === undefined ? 'no reply' : 'unexpected reply'})`);
            const names = [opts.storageName || 'model.tbn', '.bootcde'];
            for (let f = 0; f < 2; f++) {
              const [len, crc] = [got[2 * f], got[2 * f + 1] >>> 0];
              if (len !== want[2 * f] || crc !== want[2 * f + 1]) {
                fail(`read-back of Storage "${names[f]}" does not match: ${len < 0 ? 'missing' : `${len} B, crc32 ${hex(crc)}`}, sent ${want[2 * f]} B, crc32 ${hex(want[2 * f + 1])}`);
              }
            }
            emit({ event: 'verified', files: [{ name: names[0], bytes: want[0], crc32: want[1] }, { name: names[1], bytes: want[2], crc32: want[3] }] });
            E.Core.Serial.write('load()\n');
            setTimeout(() => {
              E.Core.Serial.close();
              // The files are verified: a close that never calls back must not hold the upload for the whole timeout.
              setTimeout(() => {
                emit({ event: 'done' });
                process.exit(0);
              }, 3000);
            }, 500);
          }, { maxTimeout: Math.min(30, opts.timeoutSec || 120) });
        });
      });
    },
    () => {
      clearTimeout(timer);
      emit({ event: 'done' });
      process.exit(0);
    },
  );
});
