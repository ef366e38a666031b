/**
 * `tbn flash` for JerryScript: the app and model are linked into the firmware
 * (tbn_blobs.c from `tbn build`), so flashing is the vendor flasher's job.
 * This says which one to run, with the exact commands for the build directory.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { TbnError } from '../errors.ts';
import { shellQuote } from '../io/shell.ts';

export interface FlasherPlan {
  family: 'stm32' | 'esp32';
  /** Builds the firmware (our main + JerryScript + tbn_blobs.c); see docs/engines.md. */
  build: string[];
  /** Flashes it; the first is the recommended one. */
  flash: string[];
  firmware: string;
  firmwareExists: boolean;
}

export function jerryFlasherPlan(board: string, dir: string, port: string | undefined): FlasherPlan {
  const out = path.resolve(dir);
  if (board === 'stm32f405') {
    const elf = path.join(out, 'firmware.elf');
    const bin = path.join(out, 'firmware.bin');
    return {
      family: 'stm32',
      build: [`make -C boards/${board}/jerryscript JERRY=/path/to/jerryscript JERRY_LIB=/path/to/jerry-stm32/lib BLOBS=${shellQuote(out)}`],
      flash: [
        `st-flash --reset write ${shellQuote(bin)} 0x08000000`,
        `openocd -f interface/stlink.cfg -f target/stm32f4x.cfg -c ${shellQuote(`program ${elf} verify reset exit`)}`,
      ],
      firmware: bin,
      firmwareExists: existsSync(bin),
    };
  }
  if (board === 'esp32') {
    if (!port) throw new TbnError('E_ARG', `--port is needed to flash the ${board} (the ESP32 serial bootloader port, e.g. /dev/ttyUSB0)`);
    const idf = path.join(out, 'idf');
    const app = path.join(idf, 'tbn_jerry.bin');
    return {
      family: 'esp32',
      build: [`idf.py -C boards/esp32/jerryscript -B ${shellQuote(idf)} -DJERRY=/path/to/jerryscript -DJERRY_LIB=/path/to/jerry-esp32/lib -DTBN_BLOBS=${shellQuote(out)} build`],
      flash: [
        `idf.py -C boards/esp32/jerryscript -B ${shellQuote(idf)} -p ${shellQuote(port)} flash`,
        `esptool.py --chip esp32 -p ${shellQuote(port)} -b 460800 write_flash 0x1000 ${shellQuote(path.join(idf, 'bootloader', 'bootloader.bin'))} 0x8000 ${shellQuote(
          path.join(idf, 'partition_table', 'partition-table.bin'),
        )} 0x10000 ${shellQuote(app)}`,
      ],
      firmware: app,
      firmwareExists: existsSync(app),
    };
  }
  throw new TbnError('E_ARG', `no JerryScript firmware recipe for board "${board}" (boards/stm32f405/jerryscript and boards/esp32/jerryscript exist)`);
}
