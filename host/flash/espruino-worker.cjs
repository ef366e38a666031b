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
 *   load()                                     runs .bootcde now and at every boot
 * stdout: one JSON object per line: {"event":"log"|"status"|"progress"|"done"|"error", ...}.
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
const timer = setTimeout(() => fail(`no answer from ${opts.port} within ${opts.timeoutSec || 120} s`), (opts.timeoutSec || 120) * 1000);

const espruino = require(opts.espruinoModule || 'espruino');
espruino.init(() => {
  const E = global.Espruino;
  E.Config.BAUD_RATE = String(opts.baud || 115200);
  E.Config.RESET_BEFORE_SEND = true;
  E.Config.SAVE_ON_SEND = 1; // app -> Storage ".bootcde", executed at boot
  E.Config.LOAD_STORAGE_FILE = 1; // then load() it
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
          setTimeout(() => E.Core.Serial.close(), 300);
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
