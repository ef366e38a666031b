/** The models and data the board tests and the board benchmark run. */
import path from 'node:path';
import type { Dataset } from '../../host/data/dataset.ts';
import { loadSpSwHar } from '../../host/data/sp-sw-har.ts';
import { packModel, type PackOptions } from '../../host/format/pack.ts';
import type { FloatModel } from '../../host/model/float-model.ts';
import { loadCheckpoint } from '../../host/train/checkpoint.ts';
import { exportFloatModel } from '../../host/train/export.ts';
import { REPO_ROOT } from './qemu.ts';

export const HAR_CHECKPOINT = path.join(REPO_ROOT, 'test', 'fixtures', 'models', 'har-tbn4.ckpt.json');
export const HAR_ROOT = path.resolve(REPO_ROOT, '../shared/data/sp-sw-har');
/** The checkpoint's test subjects (its metrics.test). */
export const HAR_TEST_SUBJECTS = ['s15', 's16', 's17', 's18'];

export function harFloatModel(): FloatModel {
  return exportFloatModel(loadCheckpoint(HAR_CHECKPOINT), HAR_CHECKPOINT);
}

export function harPacked(opts: PackOptions = {}): Uint8Array {
  return packModel(harFloatModel(), opts);
}

export function harTestWindows(): Dataset {
  return loadSpSwHar({ root: HAR_ROOT, subjects: HAR_TEST_SUBJECTS });
}
