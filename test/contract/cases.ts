/**
 * The contract suite of the `tbn` JS module (device/TBN_MODULE.md): ES5 case
 * files that run unchanged in the simulator (node:vm), Espruino
 * (`bin/espruino --test case.js`) and our JerryScript host main
 * (`tbn-jerry --test case.js`). A case passes iff it sets the global `result`
 * truthy. Expected logits come from the TypeScript integer reference
 * (host/reference/infer.ts) on random models, computed here on the host and
 * embedded in the case source.
 *
 * A case that needs what an engine lacks calls notApplicable(reason): it
 * prints "contract skipped: <reason>" and leaves `result` false, so it is
 * reported as skipped with its reason and never counted as passed.
 *
 * Only what both engines have is used: var/function, typed arrays,
 * String.fromCharCode, parseInt, instanceof, try/catch, console.log.
 * Espruino specifics: a TypeError is not `instanceof Error`, errors have no
 * `name`, and strings are 8-bit (labels may come back as UTF-8 bytes).
 */
import { crc32 } from '../../host/format/crc32.ts';
import { randomInput, randomInt16Input, randomInt16Params, randomPackedModel } from '../../host/format/random-model.ts';
import { readModel } from '../../host/format/reader.ts';
import type { PackedModel } from '../../host/format/model.ts';
import { runReference, runReferenceInt16 } from '../../host/reference/infer.ts';
import { badInt16Params } from '../kernel/harness.ts';

export interface ContractCase {
  name: string;
  source: string;
}

/** Seeds of the random models whose results are pinned (every layer kind appears among them). */
export const RESULT_SEEDS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];

const PRELUDE = `
var T = (typeof tbn !== "undefined") ? tbn : require("tbn");
var failures = [];
function log(s) { console.log(s); }
function hex(s) {
  var b = new Uint8Array(s.length / 2);
  for (var i = 0; i < b.length; i++) b[i] = parseInt(s.substr(2 * i, 2), 16);
  return b;
}
function f32(s) { return new Float32Array(hex(s).buffer); }
function i8(s) { return new Int8Array(hex(s).buffer); }
function i16(s) { return new Int16Array(hex(s).buffer); }
function i32(s) { return new Int32Array(hex(s).buffer); }
function check(ok, what) { if (!ok) failures.push(what); }
function sameInts(a, b, n) {
  for (var i = 0; i < n; i++) if (a[i] !== b[i]) return false;
  return true;
}
function show(a, n) { var s = []; for (var i = 0; i < n; i++) s.push(a[i]); return "[" + s.join(",") + "]"; }
/* kind: "Error" (an Error that is not a TypeError) or "TypeError"; text: a substring of the message */
function throws(what, fn, kind, text) {
  var e = null;
  try { fn(); } catch (x) { e = x; }
  if (e === null) { failures.push(what + ": did not throw"); return; }
  var isType = e instanceof TypeError;
  if (kind === "TypeError" && !isType) failures.push(what + ": expected a TypeError, got " + e);
  if (kind === "Error" && (isType || !(e instanceof Error))) failures.push(what + ": expected an Error (not a TypeError), got " + e);
  var msg = String(e.message);
  if (msg.indexOf("tbn: ") !== 0) failures.push(what + ": message does not start with 'tbn: ': " + msg);
  if (text && msg.toLowerCase().indexOf(text.toLowerCase()) < 0) failures.push(what + ": message lacks '" + text + "': " + msg);
}
/* runs model on input and compares class and logits with the reference */
function expectRun(what, model, input, cls, logits) {
  var out = new Int32Array(logits.length + 2);
  out[logits.length] = 12345; out[logits.length + 1] = -777;
  var got;
  try { got = T.run(model, input, out); } catch (e) { failures.push(what + ": threw " + e); return; }
  check(got === cls, what + ": class " + got + ", reference " + cls);
  check(sameInts(out, logits, logits.length), what + ": logits " + show(out, logits.length) + ", reference " + show(logits, logits.length));
  check(out[logits.length] === 12345 && out[logits.length + 1] === -777, what + ": wrote past the class count");
  var again;
  try { again = T.run(model, input); } catch (e2) { failures.push(what + " without logits: threw " + e2); return; }
  check(again === cls, what + " without logits: class " + again + ", reference " + cls);
}
var skipReason = null;
/* the engine lacks what the case exercises: reported as skipped (never as passed), with the reason */
function notApplicable(reason) { skipReason = reason; }
function done() {
  if (skipReason !== null) {
    /* result stays false: a runner that does not know the marker counts a failure, not a pass */
    result = false;
    log("contract skipped: " + skipReason);
    return;
  }
  result = failures.length === 0;
  log(result ? "contract ok" : "contract FAILED: " + failures.join(" | "));
}
`;

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

function ints(a: Int32Array): string {
  return `[${Array.from(a).join(',')}]`;
}

/** A JS string literal with every non-ASCII character escaped (sources stay ASCII). */
function jsString(s: string): string {
  return JSON.stringify(s).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** The label's UTF-8 bytes as an 8-bit string: what Espruino's 8-bit strings hold. */
function utf8Bytes(s: string): string {
  return jsString(String.fromCharCode(...Buffer.from(s, 'utf8')));
}

function makeCase(name: string, body: string): ContractCase {
  return { name, source: `/* tbn contract case ${name} (generated by test/contract/cases.ts) */${PRELUDE}\n${body}\ndone();\n` };
}

function expectedRuns(model: PackedModel, seed: number) {
  const inF = randomInput(seed, model, 'f32') as Float32Array;
  const inI = randomInput(seed, model, 'i8') as Int8Array;
  return { inF, inI, refF: runReference(model, inF), refI: runReference(model, inI) };
}

function resultCase(seed: number): ContractCase {
  const bytes = randomPackedModel(seed);
  const model = readModel(bytes);
  const { inF, inI, refF, refI } = expectedRuns(model, seed);
  const [inH, inW, inC] = model.inShape;
  const labels = model.classes.map((l, i) => `check(labels[${i}] === ${jsString(l)} || labels[${i}] === ${utf8Bytes(l)}, "label ${i}: " + labels[${i}]);`).join('\n');
  const body = `
var bytes = hex("${hex(bytes)}");
var m = T.open(bytes);
var info = T.info(m);
check(info.version === ${model.version}, "version " + info.version);
check(info.fileBytes === ${model.fileBytes}, "fileBytes " + info.fileBytes);
check(info.layers === ${model.layers.length}, "layers " + info.layers);
check(info.classes === ${model.classes.length}, "classes " + info.classes);
check(info.inH === ${inH} && info.inW === ${inW} && info.inC === ${inC}, "input shape " + info.inH + "x" + info.inW + "x" + info.inC);
check(info.inputLen === ${inH * inW * inC}, "inputLen " + info.inputLen);
check(info.scratchBytes === ${model.scratchBytes}, "scratchBytes " + info.scratchBytes);
var labels = info.labels;
check(labels && labels.length === ${model.classes.length}, "labels length");
if (labels) {
${labels}
}
expectRun("f32 input", m, f32("${hex(new Uint8Array(inF.buffer))}"), ${refF.cls}, ${ints(refF.logits)});
expectRun("i8 input", m, i8("${hex(new Uint8Array(inI.buffer))}"), ${refI.cls}, ${ints(refI.logits)});
expectRun("f32 input again", m, f32("${hex(new Uint8Array(inF.buffer))}"), ${refF.cls}, ${ints(refF.logits)});
T.close(m);`;
  return makeCase(`results-seed-${seed}`, body);
}

/** Cases that open the same model from different kinds of bytes. */
function containerCases(): ContractCase[] {
  const seed = 2;
  const bytes = randomPackedModel(seed);
  const model = readModel(bytes);
  const { inF, refF } = expectedRuns(model, seed);
  const common = `
var bytes = hex("${hex(bytes)}");
var input = f32("${hex(new Uint8Array(inF.buffer))}");
var cls = ${refF.cls}, logits = ${ints(refF.logits)};
function viewAt(offset) {
  var big = new Uint8Array(bytes.length + 16);
  for (var i = 0; i < 16; i++) big[i] = 0xA5;
  big.set(bytes, offset);
  return new Uint8Array(big.buffer, offset, bytes.length);
}`;
  return [
    makeCase('open-arraybuffer', `${common}\nexpectRun("ArrayBuffer", T.open(bytes.buffer), input, cls, logits);`),
    makeCase(
      'open-view-with-offset',
      `${common}
expectRun("Uint8Array at offset 8", T.open(viewAt(8)), input, cls, logits);
var v = viewAt(4);
expectRun("Int8Array at offset 4", T.open(new Int8Array(v.buffer, 4, bytes.length)), input, cls, logits);`,
    ),
    makeCase(
      'open-dataview',
      `${common}
var big = viewAt(8);
expectRun("DataView at offset 8", T.open(new DataView(big.buffer, 8, bytes.length)), input, cls, logits);`,
    ),
    makeCase('open-misaligned-view', `${common}\nexpectRun("Uint8Array at offset 1", T.open(viewAt(1)), input, cls, logits);\nexpectRun("Uint8Array at offset 3", T.open(viewAt(3)), input, cls, logits);`),
    makeCase(
      'open-from-storage',
      `${common}
/* Espruino: a String from require("Storage").read (flash-resident on boards); engines without Storage.write skip */
var S = null;
try { S = require("Storage"); } catch (e) { S = null; }
if (S && S.write) {
  var s = "";
  for (var i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
  S.write("tbnct.tbn", s);
  var stored = S.read("tbnct.tbn");
  check(stored && stored.length === bytes.length, "Storage.read length");
  expectRun("Storage.read String", T.open(stored), input, cls, logits);
  S.erase("tbnct.tbn");
} else {
  notApplicable("no require('Storage').write in this engine");
}`,
    ),
    makeCase(
      'open-binary-string',
      `${common}
var s = "";
for (var i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
check(s.length === bytes.length, "string length");
expectRun("binary String", T.open(s), input, cls, logits);`,
    ),
  ];
}

/** Inputs and logits given as views at an offset into a larger buffer. */
function viewCases(): ContractCase[] {
  const seed = 5;
  const bytes = randomPackedModel(seed);
  const model = readModel(bytes);
  const { inF, inI, refF, refI } = expectedRuns(model, seed);
  const classes = model.classes.length;
  return [
    makeCase(
      'espruino-fragmented-buffers',
      `var bytes = hex("${hex(bytes)}");
var f = f32("${hex(new Uint8Array(inF.buffer))}");
var classes = ${classes};
/* Espruino: E.toArrayBuffer over a String built by concatenation gives an ArrayBuffer whose
   storage is not contiguous (no data pointer): model, input and logits take the copying paths */
function chained(u8) { var s = ""; for (var i = 0; i < u8.length; i++) s += String.fromCharCode(u8[i]); return s; }
if (typeof E !== "undefined" && E.toArrayBuffer) {
  var mab = E.toArrayBuffer(chained(bytes));
  var fin = new Float32Array(E.toArrayBuffer(chained(new Uint8Array(f.buffer))));
  var lout = new Int32Array(E.toArrayBuffer(chained(new Uint8Array(4 * classes))));
  check(E.getAddressOf(mab, true) === 0 && E.getAddressOf(fin, true) === 0 && E.getAddressOf(lout, true) === 0,
    "the buffers are not contiguous (E.getAddressOf(.., true) is 0)");
  var m = T.open(mab);
  check(fin.length === f.length && (fin[1] === f[1] || (fin[1] !== fin[1] && f[1] !== f[1])), "fragmented Float32Array holds the input");
  var c = T.run(m, fin, lout);
  check(c === ${refF.cls}, "fragmented: class " + c);
  check(sameInts(lout, ${ints(refF.logits)}, classes), "fragmented: logits " + show(lout, classes));
  T.close(m);
} else {
  notApplicable("no E.toArrayBuffer (Espruino-only fragmented strings)");
}`,
    ),
    makeCase(
      'run-views',
      `var m = T.open(hex("${hex(bytes)}"));
var f = f32("${hex(new Uint8Array(inF.buffer))}"), q = i8("${hex(new Uint8Array(inI.buffer))}");
var n = f.length, classes = ${classes};
var fbuf = new ArrayBuffer(4 * n + 8); var fv = new Float32Array(fbuf, 8, n); fv.set(f);
var qbuf = new ArrayBuffer(n + 3); var qv = new Int8Array(qbuf, 3, n); qv.set(q);
var lbuf = new ArrayBuffer(4 * classes + 12); var lv = new Int32Array(lbuf, 12, classes);
var lead = new Int32Array(lbuf, 0, 3); lead[0] = 7; lead[1] = 8; lead[2] = 9;
var c = T.run(m, fv, lv);
check(c === ${refF.cls}, "f32 view: class " + c);
check(sameInts(lv, ${ints(refF.logits)}, classes), "f32 view: logits " + show(lv, classes));
check(lead[0] === 7 && lead[1] === 8 && lead[2] === 9, "wrote before the logits view");
c = T.run(m, qv, lv);
check(c === ${refI.cls}, "i8 view at odd offset: class " + c);
check(sameInts(lv, ${ints(refI.logits)}, classes), "i8 view: logits " + show(lv, classes));
T.close(m);`,
    ),
  ];
}

function badModelCases(): ContractCase[] {
  const good = randomPackedModel(3);
  const model = readModel(good);
  const mutate = (f: (b: Uint8Array) => Uint8Array | void): Uint8Array => {
    const b = new Uint8Array(good);
    return f(b) ?? b;
  };
  const fixCrc = (b: Uint8Array) => {
    new DataView(b.buffer).setUint32(12, crc32(b, 16, model.fileBytes), true);
  };
  const bad: Array<[string, Uint8Array, string]> = [
    ['bad-empty', new Uint8Array(0), 'truncated'],
    ['bad-truncated-header', good.slice(0, 40), 'truncated'],
    ['bad-truncated-body', good.slice(0, good.length - 4), 'truncated'],
    ['bad-longer', mutate((b) => { const l = new Uint8Array(b.length + 4); l.set(b); return l; }), 'size'],
    ['bad-magic', mutate((b) => { b[0] = 0x58; }), 'magic'],
    ['bad-version', mutate((b) => { b[4] = 2; }), 'version'],
    ['bad-crc', mutate((b) => { b[b.length - 1] = (b[b.length - 1] as number) ^ 0x40; }), 'CRC'],
    ['bad-layer-kind', mutate((b) => { b[64] = 99; fixCrc(b); }), 'layer'],
  ];
  // sanity: the good model is good and the mutations really are different
  if (bad.some(([, b]) => b.length === good.length && b.every((x, i) => x === good[i]))) throw new Error('a bad-model case equals the good model');
  return bad.map(([name, bytes, text]) =>
    makeCase(name, `throws("${name}", function () { T.open(hex("${hex(bytes)}")); }, "Error", "${text}");`),
  );
}

function argumentCases(): ContractCase[] {
  const seed = 4;
  const bytes = randomPackedModel(seed);
  const model = readModel(bytes);
  const { inF } = expectedRuns(model, seed);
  const n = inF.length;
  const classes = model.classes.length;
  const open = `var m = T.open(hex("${hex(bytes)}"));\nvar n = ${n}, classes = ${classes};\nvar input = f32("${hex(new Uint8Array(inF.buffer))}");`;
  return [
    makeCase(
      'bad-open-argument',
      `throws("open(5)", function () { T.open(5); }, "TypeError");
throws("open()", function () { T.open(); }, "TypeError");
throws("open({})", function () { T.open({}); }, "TypeError");`,
    ),
    makeCase(
      'bad-input-type',
      `${open}
throws("Int16Array input", function () { T.run(m, new Int16Array(n)); }, "TypeError");
throws("Uint8Array input", function () { T.run(m, new Uint8Array(n)); }, "TypeError");
throws("Int32Array input", function () { T.run(m, new Int32Array(n)); }, "TypeError");
throws("Array input", function () { var a = []; for (var i = 0; i < n; i++) a.push(0); T.run(m, a); }, "TypeError");
throws("no input", function () { T.run(m); }, "TypeError");`,
    ),
    makeCase(
      'bad-input-length',
      `${open}
throws("short Float32Array", function () { T.run(m, new Float32Array(n - 1)); }, "TypeError");
throws("long Float32Array", function () { T.run(m, new Float32Array(n + 1)); }, "TypeError");
throws("short Int8Array", function () { T.run(m, new Int8Array(n - 1)); }, "TypeError");
check(typeof T.run(m, input) === "number", "the right length still runs");`,
    ),
    makeCase(
      'bad-logits',
      `${open}
throws("short logits", function () { T.run(m, input, new Int32Array(classes - 1)); }, "TypeError");
throws("Float32Array logits", function () { T.run(m, input, new Float32Array(classes)); }, "TypeError");
throws("Array logits", function () { T.run(m, input, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]); }, "TypeError");
var exact = new Int32Array(classes);
check(typeof T.run(m, input, exact) === "number", "exactly classes logits are enough");`,
    ),
  ];
}

function lifecycleCases(): ContractCase[] {
  const seed = 1;
  const bytes = randomPackedModel(seed);
  const model = readModel(bytes);
  const { inF, refF } = expectedRuns(model, seed);
  const setup = `var bytes = hex("${hex(bytes)}");\nvar input = f32("${hex(new Uint8Array(inF.buffer))}");\nvar cls = ${refF.cls}, logits = ${ints(refF.logits)};`;
  return [
    makeCase(
      'memory-report',
      `${setup}
var m = T.open(bytes);
var info = T.info(m);
check(info.scratchBytes === ${model.scratchBytes}, "scratchBytes " + info.scratchBytes + ", the format says ${model.scratchBytes}");
var out = new Int32Array(info.classes);
T.run(m, input, out);
if (typeof process !== "undefined" && process.memory) {
  /* no allocation per call: the heap use does not grow over 50 runs */
  var before = 0, after = 0, i = 0;
  before = process.memory().usage;
  for (i = 0; i < 50; i++) T.run(m, input, out);
  after = process.memory().usage;
  check(after <= before, "memory use grew from " + before + " to " + after + " over 50 runs");
}
T.close(m);`,
    ),
    makeCase(
      'close',
      `${setup}
var m = T.open(bytes);
expectRun("before close", m, input, cls, logits);
T.close(m);
throws("run after close", function () { T.run(m, input); }, "Error");
throws("info after close", function () { T.info(m); }, "Error");
throws("close after close", function () { T.close(m); }, "Error");
var m2 = T.open(bytes);
expectRun("a new handle after close", m2, input, cls, logits);
T.close(m2);`,
    ),
    makeCase(
      'invalid-handle',
      `${setup}
throws("run({})", function () { T.run({}, input); }, "Error");
throws("info({})", function () { T.info({}); }, "Error");
throws("run(5)", function () { T.run(5, input); }, "Error");
throws("close({})", function () { T.close({}); }, "Error");
var a = T.open(bytes), b = T.open(bytes);
T.close(a);
expectRun("a second handle on the same bytes survives closing the first", b, input, cls, logits);`,
    ),
  ];
}

/** Seeds of the random models run on int16 counts (TBN_INPUT_I16); the odd ones have an int8 conv1d first layer. */
export const INT16_SEEDS = [21, 22, 23, 24];

function int16Model(seed: number) {
  const bytes = randomPackedModel(seed, seed % 2 === 1 ? { i8Conv1dFirst: true, maxHidden: 2 } : {});
  const model = readModel(bytes);
  const x = randomInt16Input(seed, model);
  const params = randomInt16Params(seed, model.quantMul.length);
  return { bytes, model, x, params, ref: runReferenceInt16(model, x, params) };
}

/** Int16Array sensor counts with their (mult, add, shift) triples: results, views, refusals. */
function int16Cases(): ContractCase[] {
  const results = INT16_SEEDS.map((seed) => {
    const { bytes, x, params, ref } = int16Model(seed);
    const classes = ref.logits.length;
    return makeCase(
      `int16-results-seed-${seed}`,
      `var m = T.open(hex("${hex(bytes)}"));
var x = i16("${hex(new Uint8Array(x.buffer))}"), p = i32("${hex(new Uint8Array(params.buffer))}");
var cls = ${ref.cls}, logits = ${ints(ref.logits)}, classes = ${classes};
var out = new Int32Array(classes + 1); out[classes] = 4242;
var got = T.run(m, x, out, p);
check(got === cls, "int16: class " + got + ", reference " + cls);
check(sameInts(out, logits, classes), "int16: logits " + show(out, classes) + ", reference " + show(logits, classes));
check(out[classes] === 4242, "int16: wrote past the class count");
check(T.run(m, x, undefined, p) === cls, "int16 without logits");
/* the same counts and triples as views at offsets into larger buffers */
var xb = new ArrayBuffer(2 * x.length + 6), xv = new Int16Array(xb, 6, x.length); xv.set(x);
var pb = new ArrayBuffer(4 * p.length + 8), pv = new Int32Array(pb, 8, p.length); pv.set(p);
var lv = new Int32Array(new ArrayBuffer(4 * classes + 4), 4, classes);
check(T.run(m, xv, lv, pv) === cls && sameInts(lv, logits, classes), "int16 views: class/logits " + show(lv, classes));
T.close(m);`,
    );
  });
  const { bytes, x, params } = int16Model(INT16_SEEDS[0]!);
  const refused = badInt16Params(params);
  const refusals = refused.map(([what, p]) => `throws("${what}", function () { T.run(m, x, undefined, i32("${hex(new Uint8Array(p.buffer))}")); }, "Error", "int16 input parameters");`).join('\n');
  return [
    ...results,
    makeCase(
      'int16-bad-params',
      `var m = T.open(hex("${hex(bytes)}"));
var x = i16("${hex(new Uint8Array(x.buffer))}"), p = i32("${hex(new Uint8Array(params.buffer))}");
var n = x.length;
${refusals}
throws("Int16Array without parameters", function () { T.run(m, x); }, "TypeError");
throws("Int16Array with Float32Array parameters", function () { T.run(m, x, undefined, new Float32Array(p.length)); }, "TypeError");
throws("parameters with Float32Array input", function () { T.run(m, new Float32Array(n), undefined, p); }, "TypeError");
throws("short Int16Array", function () { T.run(m, new Int16Array(n - 1), undefined, p); }, "TypeError");
check(typeof T.run(m, x, undefined, p) === "number", "the good triples still run");
T.close(m);`,
    ),
    makeCase(
      'espruino-fragmented-int16',
      `var m = T.open(hex("${hex(bytes)}"));
var x = i16("${hex(new Uint8Array(x.buffer))}"), p = i32("${hex(new Uint8Array(params.buffer))}");
var cls = T.run(m, x, undefined, p);
function chained(u8) { var s = ""; for (var i = 0; i < u8.length; i++) s += String.fromCharCode(u8[i]); return s; }
if (typeof E !== "undefined" && E.toArrayBuffer) {
  /* counts and triples in non-contiguous storage: the copying paths */
  var xf = new Int16Array(E.toArrayBuffer(chained(new Uint8Array(x.buffer))));
  var pf = new Int32Array(E.toArrayBuffer(chained(new Uint8Array(p.buffer))));
  /* (the 3 values per channel of a small model fit one block: only the counts are surely fragmented) */
  check(E.getAddressOf(xf, true) === 0, "the counts are not contiguous");
  check(T.run(m, xf, undefined, pf) === cls, "fragmented int16: same class");
} else {
  notApplicable("no E.toArrayBuffer (Espruino-only fragmented strings)");
}
T.close(m);`,
    ),
  ];
}

export function contractCases(): ContractCase[] {
  return [...RESULT_SEEDS.map(resultCase), ...containerCases(), ...viewCases(), ...badModelCases(), ...argumentCases(), ...lifecycleCases(), ...int16Cases()];
}
