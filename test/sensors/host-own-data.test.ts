/**
 * A data folder of one's own in the sp-sw-har layout (what `tbn record` writes) with labels other
 * than sp-sw-har's trains unchanged with `tbn train --data har --data-root DIR`: the classes come
 * from the recordings' label column.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadSplits } from '../../host/data/select.ts';
import { HAR_CLASSES, defaultHarRoot, listRecordings, recordingClasses } from '../../host/data/sp-sw-har.ts';

const root = defaultHarRoot();
const dir = mkdtempSync(path.join(tmpdir(), 'tbn-own-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(root === undefined)('own recordings with own labels (needs ../shared/data/sp-sw-har as raw material)', () => {
  it('classes are found in the label column; sp-sw-har itself keeps its five in its order', () => {
    // Three "subjects" made of real sp-sw-har files, relabelled: WALKING -> SHAKE, everything else -> REST.
    for (const [to, from] of [['s01', 's01'], ['s02', 's02'], ['s03', 's15']] as const) {
      mkdirSync(path.join(dir, to));
      for (const f of listRecordings(root as string, [from]).slice(0, 3)) {
        const text = readFileSync(f, 'utf8').replace(/,(SEATED|STANDING_UP|TURNING|SITTING_DOWN)\r?$/gm, ',REST').replace(/,WALKING\r?$/gm, ',SHAKE');
        writeFileSync(path.join(dir, to, path.basename(f).replace(/^s\d+/, to)), text);
      }
    }
    expect(recordingClasses(listRecordings(dir, ['s01', 's02', 's03']))).toEqual(['REST', 'SHAKE']);
    const s = loadSplits({ data: 'har', dataRoot: dir, train: 's01-s02', test: 's03' }, 1);
    expect(s.train.classes).toEqual(['REST', 'SHAKE']);
    expect(s.test.classes).toEqual(['REST', 'SHAKE']);
    const counts = [0, 0];
    for (const y of s.test.y) counts[y]!++;
    expect(counts[0]).toBeGreaterThan(0);
    expect(counts[1]).toBeGreaterThan(0);
    expect(recordingClasses(listRecordings(root as string, ['s15']))).toEqual(HAR_CLASSES);
  });
});
