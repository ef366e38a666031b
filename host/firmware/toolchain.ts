/**
 * Toolchain check for `tbn firmware`: every program a build needs, and the
 * Debian 12 package that provides it, so a missing one is named exactly.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { TbnError } from '../errors.ts';

export interface Tool {
  /** Program looked up on PATH. */
  command: string;
  /** Debian package that installs it (null: not packaged by Debian). */
  debianPackage: string | null;
  /** What it is for, in the message. */
  purpose: string;
  /** A further check once the program exists; returns a problem or null. */
  probe?: () => string | null;
}

/** Finds a program on PATH (no shell). */
export function which(command: string, env: NodeJS.ProcessEnv = process.env): string | null {
  if (command.includes('/')) {
    try {
      accessSync(command, constants.X_OK);
      return command;
    } catch {
      return null;
    }
  }
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const file = path.join(dir, command);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not in this directory
    }
  }
  return null;
}

/** newlib for arm-none-eabi: `-print-file-name` answers a bare name when the library is absent. */
function armNewlibProbe(): string | null {
  const r = spawnSync('arm-none-eabi-gcc', ['-mcpu=cortex-m4', '-mthumb', '-mfloat-abi=hard', '-mfpu=fpv4-sp-d16', '-print-file-name=libc_nano.a'], { encoding: 'utf8', timeout: 10_000 });
  const file = `${r.stdout ?? ''}`.trim();
  return path.isAbsolute(file) ? null : 'newlib for arm-none-eabi (libc_nano.a) is missing: apt-get install libnewlib-arm-none-eabi';
}

export const TOOLS = {
  gcc: { command: 'gcc', debianPackage: 'gcc', purpose: 'C compiler for Linux builds' },
  gxx: { command: 'g++', debianPackage: 'g++', purpose: "C++ compiler (Espruino's LINUX board links TensorFlow Lite Micro)" },
  make: { command: 'make', debianPackage: 'make', purpose: 'runs the engine builds' },
  python3: { command: 'python3', debianPackage: 'python3', purpose: "the engines' build scripts" },
  git: { command: 'git', debianPackage: 'git', purpose: 'the engine builds read their version from git' },
  cmake: { command: 'cmake', debianPackage: 'cmake', purpose: "JerryScript's build (tools/build.py runs CMake)" },
  armGcc: { command: 'arm-none-eabi-gcc', debianPackage: 'gcc-arm-none-eabi', purpose: 'Cortex-M cross compiler', probe: armNewlibProbe },
  armObjcopy: { command: 'arm-none-eabi-objcopy', debianPackage: 'binutils-arm-none-eabi', purpose: 'firmware .bin from the .elf' },
  qemuArm: { command: 'qemu-system-arm', debianPackage: 'qemu-system-arm', purpose: 'runs the STM32F405 firmware (netduinoplus2 machine)' },
  socat: { command: 'socat', debianPackage: 'socat', purpose: 'the pseudo-terminal the Linux engine serves' },
} satisfies Record<string, Tool>;

/** ESP32: Espressif's SDK and Xtensa compiler; Debian has neither. */
export const ESP_IDF_MISSING =
  'ESP32 firmware needs ESP-IDF (Espressif\'s SDK with its xtensa-esp32-elf compiler and idf.py), which Debian does not package ' +
  '(there is no xtensa-esp32-elf package; gcc-xtensa-lx106 is the ESP8266 compiler and cannot build for the ESP32). ' +
  'Install ESP-IDF by Espressif\'s instructions (https://docs.espressif.com/projects/esp-idf/en/v4.4/esp32/get-started/), ' +
  'run `. $IDF_PATH/export.sh` in this shell, then run tbn firmware again.';

export interface ToolProblem {
  tool: Tool;
  problem: string;
}

/** Every tool that is missing or broken, with its Debian package. */
export function missingTools(tools: Tool[], env: NodeJS.ProcessEnv = process.env): ToolProblem[] {
  const problems: ToolProblem[] = [];
  for (const tool of tools) {
    if (!which(tool.command, env)) {
      problems.push({
        tool,
        problem: tool.debianPackage ? `${tool.command} not found (${tool.purpose}): apt-get install ${tool.debianPackage}` : `${tool.command} not found (${tool.purpose})`,
      });
      continue;
    }
    const p = tool.probe?.();
    if (p) problems.push({ tool, problem: p });
  }
  return problems;
}

/** Throws one error listing every missing tool and the single apt-get line that installs them. */
export function requireTools(tools: Tool[], env: NodeJS.ProcessEnv = process.env): void {
  const problems = missingTools(tools, env);
  if (problems.length === 0) return;
  const packages = [...new Set(problems.map((p) => (p.problem.match(/apt-get install (\S+)/) ?? [])[1]).filter((x): x is string => Boolean(x)))];
  throw new TbnError(
    'E_TOOLCHAIN',
    `missing toolchain: ${problems.map((p) => p.problem).join('; ')}${packages.length ? `\n  sudo apt-get install --no-install-recommends ${packages.join(' ')}` : ''}`,
  );
}

/** ESP-IDF is present when idf.py and the ESP32 compiler are on PATH and IDF_PATH is set. */
export function espIdfProblem(env: NodeJS.ProcessEnv = process.env): string | null {
  const missing: string[] = [];
  if (!env.IDF_PATH) missing.push('IDF_PATH is not set');
  if (!which('idf.py', env)) missing.push('idf.py is not on PATH');
  if (!which('xtensa-esp32-elf-gcc', env)) missing.push('xtensa-esp32-elf-gcc is not on PATH');
  return missing.length ? `${ESP_IDF_MISSING} (${missing.join(', ')})` : null;
}
