/** Fashion-MNIST from the Debian package dataset-fashion-mnist (gzipped IDX files). */
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { Dataset } from './dataset.ts';
import { InputError, TbnError } from '../errors.ts';

export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';
export const FASHION_CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];

const IMAGES_MAGIC = 0x00000803;
const LABELS_MAGIC = 0x00000801;
const SIDE = 28;

export interface FashionMnistOptions {
  dir?: string;
  split: 'train' | 'test';
  /** Keep only the first `limit` images. */
  limit?: number;
}

function readIdx(file: string): Buffer {
  try {
    statSync(file);
  } catch {
    throw new InputError(file, undefined, 'Fashion-MNIST file not found; install it with: apt-get install dataset-fashion-mnist');
  }
  try {
    return gunzipSync(readFileSync(file));
  } catch (e) {
    throw new InputError(file, undefined, `not a valid gzip file (${(e as Error).message})`);
  }
}

export function fashionMnistFiles(dir: string, split: 'train' | 'test'): { images: string; labels: string } {
  const stem = split === 'train' ? 'train' : 't10k';
  return { images: path.join(dir, `${stem}-images-idx3-ubyte.gz`), labels: path.join(dir, `${stem}-labels-idx1-ubyte.gz`) };
}

export function loadFashionMnist(opts: FashionMnistOptions): Dataset {
  const dir = opts.dir ?? FASHION_MNIST_DIR;
  if (opts.split !== 'train' && opts.split !== 'test') throw new TbnError('E_OPTION', `Fashion-MNIST split must be train or test, got "${String(opts.split)}"`);
  if (opts.limit !== undefined && (!Number.isInteger(opts.limit) || opts.limit < 1)) {
    throw new TbnError('E_OPTION', `limit must be a positive integer, got ${opts.limit}`);
  }
  const files = fashionMnistFiles(dir, opts.split);
  const img = readIdx(files.images);
  const lab = readIdx(files.labels);
  if (img.length < 16 || img.readUInt32BE(0) !== IMAGES_MAGIC) {
    throw new InputError(files.images, undefined, `not an IDX image file (magic ${img.length >= 4 ? '0x' + img.readUInt32BE(0).toString(16).padStart(8, '0') : 'missing'}, expected 0x00000803)`);
  }
  if (lab.length < 8 || lab.readUInt32BE(0) !== LABELS_MAGIC) {
    throw new InputError(files.labels, undefined, `not an IDX label file (magic ${lab.length >= 4 ? '0x' + lab.readUInt32BE(0).toString(16).padStart(8, '0') : 'missing'}, expected 0x00000801)`);
  }
  const n = img.readUInt32BE(4);
  const rows = img.readUInt32BE(8);
  const cols = img.readUInt32BE(12);
  if (rows !== SIDE || cols !== SIDE) throw new InputError(files.images, undefined, `images are ${rows}x${cols}, expected ${SIDE}x${SIDE}`);
  if (img.length !== 16 + n * rows * cols) {
    throw new InputError(files.images, undefined, `size ${img.length} bytes does not match ${n} images of ${rows}x${cols} (${16 + n * rows * cols} bytes)`);
  }
  const nLabels = lab.readUInt32BE(4);
  if (lab.length !== 8 + nLabels) throw new InputError(files.labels, undefined, `size ${lab.length} bytes does not match ${nLabels} labels (${8 + nLabels} bytes)`);
  if (nLabels !== n) throw new InputError(files.labels, undefined, `${nLabels} labels for ${n} images in ${files.images}`);
  const count = opts.limit !== undefined ? Math.min(opts.limit, n) : n;
  const px = SIDE * SIDE;
  const x = new Float32Array(count * px);
  for (let i = 0; i < count * px; i++) x[i] = (img[16 + i] as number) / 255;
  const y = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const v = lab[8 + i] as number;
    if (v >= FASHION_CLASSES.length) throw new InputError(files.labels, undefined, `label ${v} of image ${i} is not a class index 0-${FASHION_CLASSES.length - 1}`);
    y[i] = v;
  }
  return {
    name: `fashion-mnist ${opts.split}${count < n ? ` (first ${count})` : ''}`,
    x,
    y,
    count,
    shape: [SIDE, SIDE, 1],
    classes: [...FASHION_CLASSES],
    channels: ['pixel'],
  };
}
