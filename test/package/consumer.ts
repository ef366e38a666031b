// A user's own program: imports the installed package (no tsx, no repo paths), trains a tiny model, packs it,
// reads it back and runs the integer reference. The install test compiles it with `tsc --strict` and runs it
// on plain node. It also writes a labelled recording for `tbn stream`.
import { writeFileSync } from 'node:fs';
import { exampleSize, HAR_CLASSES, loadSplits, pack, readModel, runReference, synthesizeMotion, train, version } from 'tbn';
import { formatSummary, summarizeModel, TBN } from 'tbn/format';
import { runNaive } from 'tbn/reference';
import { DeviceClient, FrameReader, hello, type Link } from 'tbn/protocol';
import { listBoards, loadBoard } from 'tbn/sim';

const splits = loadSplits({ data: 'synthetic', limit: 240 }, 1);
const [result] = train(splits, { variants: ['tbn'], epochs: 1 });
if (result === undefined) throw new Error('train returned nothing');
const bytes = pack(result.checkpoint);
writeFileSync('tiny.tbn', bytes);
const model = readModel(bytes);
const n = exampleSize(splits.test);
let agree = 0;
const windows = Math.min(16, splits.test.count);
for (let i = 0; i < windows; i++) {
  const input = splits.test.x.subarray(i * n, (i + 1) * n);
  const fast = runReference(model, input);
  const naive = runNaive(model, input);
  if (fast.cls === naive.cls && fast.logits.every((v, k) => v === naive.logits[k])) agree++;
}

// A recording in the generic labelled CSV layout, for `tbn stream --recording`.
const rec = synthesizeMotion({ seconds: 12, seed: 7, personSeed: 7, subject: 's15' });
const C = rec.channels.length;
const lines = [[...rec.channels, 'label'].join(',')];
for (let k = 0; k < rec.count; k++) {
  const row: string[] = [];
  for (let c = 0; c < C; c++) row.push(String(rec.samples[k * C + c]));
  row.push(HAR_CLASSES[rec.labels[k] as number] as string);
  lines.push(row.join(','));
}
writeFileSync('recording.csv', `${lines.join('\n')}\n`);

// The protocol entry point is usable with the user's own link.
const sent: Uint8Array[] = [];
const link: Link = { write: (b) => void sent.push(b), onData: () => {}, close: async () => {} };
const client = new DeviceClient(link);
client.write(hello());
let frames = 0;
new FrameReader().push(sent[0] as Uint8Array, () => frames++);

console.log(
  JSON.stringify({
    version: version(),
    engine: result.checkpoint.train.engine,
    bytes: bytes.length,
    magic: TBN.TBN_MAGIC,
    layers: model.layers.length,
    classes: model.classes,
    referenceAgreesWithNaive: `${agree}/${windows}`,
    summaryLines: formatSummary(summarizeModel(model), 'tiny.tbn').split('\n').length,
    boards: listBoards().length,
    stm32f405: loadBoard('stm32f405').name,
    helloFrames: frames,
  }),
);
