// Bundles the device app (device/main.ts) into ONE ES5 file, build/device/app.js,
// for Espruino, JerryScript and the host simulator. Usage: node device/build.mjs
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { rollup } from 'rollup';
import typescript from '@rollup/plugin-typescript';
import { transform } from 'esbuild';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const outFile = path.join(root, 'build', 'device', 'app.js');

const bundle = await rollup({
  input: path.join(here, 'main.ts'),
  plugins: [
    typescript({
      tsconfig: false,
      include: [path.join(here, '*.ts'), path.join(here, 'sensors', '*.ts')],
      compilerOptions: {
        target: 'ES5',
        lib: ['ES5'],
        module: 'ESNext',
        moduleResolution: 'bundler',
        allowImportingTsExtensions: true,
        rewriteRelativeImportExtensions: true,
        strict: true,
        removeComments: true,
        types: [],
        skipLibCheck: true,
        noEmitOnError: true,
      },
    }),
  ],
  onwarn(warning) {
    throw new Error(`rollup: ${warning.message}`);
  },
});
const { output } = await bundle.generate({ format: 'iife', strict: false, compact: true });
await bundle.close();
// Minify without changing the language level: the input is already ES5 and esbuild fails on
// anything it would have to lower, so the result stays ES5 (test/device/bundle.test.ts checks).
const min = await transform(output[0].code, { minify: true, target: 'es5', charset: 'ascii' });
mkdirSync(path.dirname(outFile), { recursive: true });
// Write then rename: tests running in parallel never see a half-written bundle.
const tmp = `${outFile}.${process.pid}.tmp`;
try {
  writeFileSync(tmp, min.code);
  renameSync(tmp, outFile);
} catch (e) {
  rmSync(tmp, { force: true }); // a failed write (full disk, EFBIG) leaves no temp file behind
  console.error(`device/build.mjs: cannot write ${outFile}: ${e.code ?? e.message}`);
  process.exit(1);
}
console.log(`device bundle: ${path.relative(root, outFile)} (${min.code.length} bytes)`);
