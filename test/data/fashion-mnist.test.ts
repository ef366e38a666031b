import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../host/errors.ts';
import { FASHION_CLASSES, FASHION_MNIST_DIR, loadFashionMnist } from '../../host/data/fashion-mnist.ts';

describe('Fashion-MNIST from dataset-fashion-mnist', () => {
  it('reads the test split: labels and pixels as in the IDX files (values read with od)', () => {
    const d = loadFashionMnist({ split: 'test', limit: 100 });
    expect(d.count).toBe(100);
    expect(d.shape).toEqual([28, 28, 1]);
    expect(d.channels).toEqual(['pixel']);
    expect(d.classes).toEqual(FASHION_CLASSES);
    expect(d.classes[9]).toBe('Ankle boot');
    expect(Array.from(d.y.subarray(0, 10))).toEqual([9, 2, 1, 1, 6, 1, 4, 6, 5, 7]);
    // Row 10 of the first test image, columns 12-27.
    const row10 = Array.from(d.x.subarray(280 + 12, 280 + 28)).map((v) => Math.round(v * 255));
    expect(row10).toEqual([0, 4, 0, 53, 129, 120, 147, 175, 157, 166, 135, 154, 168, 140, 0, 0]);
    expect(d.x.every((v) => v >= 0 && v <= 1)).toBe(true);
  });

  it('reads all 60,000 training images and 10,000 test images', () => {
    const train = loadFashionMnist({ split: 'train' });
    expect(train.count).toBe(60000);
    expect(Array.from(train.y.subarray(0, 10))).toEqual([9, 0, 0, 3, 0, 2, 7, 2, 5, 5]);
    const perClass = FASHION_CLASSES.map((_, k) => train.y.filter((y) => y === k).length);
    expect(perClass).toEqual(new Array(10).fill(6000));
    expect(loadFashionMnist({ split: 'test' }).count).toBe(10000);
  });

  it('names the Debian package when the files are missing', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tbn-fm-'));
    expect(() => loadFashionMnist({ dir, split: 'test' })).toThrow(InputError);
    expect(() => loadFashionMnist({ dir, split: 'test' })).toThrow(
      `${path.join(dir, 't10k-images-idx3-ubyte.gz')}: Fashion-MNIST file not found; install it with: apt-get install dataset-fashion-mnist`,
    );
  });

  function dirWith(images: Buffer, labels: Buffer | undefined): string {
    const dir = mkdtempSync(path.join(tmpdir(), 'tbn-fm-'));
    writeFileSync(path.join(dir, 't10k-images-idx3-ubyte.gz'), gzipSync(images));
    if (labels) writeFileSync(path.join(dir, 't10k-labels-idx1-ubyte.gz'), gzipSync(labels));
    else copyFileSync(path.join(FASHION_MNIST_DIR, 't10k-labels-idx1-ubyte.gz'), path.join(dir, 't10k-labels-idx1-ubyte.gz'));
    return dir;
  }
  const header = (...words: number[]): Buffer => {
    const b = Buffer.alloc(words.length * 4);
    words.forEach((w, i) => b.writeUInt32BE(w, i * 4));
    return b;
  };

  it('checks the magic numbers', () => {
    const dir = dirWith(header(0x801, 1, 28, 28), undefined);
    expect(() => loadFashionMnist({ dir, split: 'test' })).toThrow(/t10k-images-idx3-ubyte.gz: not an IDX image file \(magic 0x00000801, expected 0x00000803\)/);
    const dir2 = dirWith(Buffer.concat([header(0x803, 1, 28, 28), Buffer.alloc(784)]), header(0x803, 1));
    expect(() => loadFashionMnist({ dir: dir2, split: 'test' })).toThrow(/t10k-labels-idx1-ubyte.gz: not an IDX label file \(magic 0x00000803, expected 0x00000801\)/);
  });

  it('checks image size, file size and label count', () => {
    const small = dirWith(Buffer.concat([header(0x803, 1, 27, 28), Buffer.alloc(756)]), undefined);
    expect(() => loadFashionMnist({ dir: small, split: 'test' })).toThrow(/images are 27x28, expected 28x28/);
    const truncated = dirWith(Buffer.concat([header(0x803, 2, 28, 28), Buffer.alloc(784)]), undefined);
    expect(() => loadFashionMnist({ dir: truncated, split: 'test' })).toThrow(/size 800 bytes does not match 2 images of 28x28 \(1584 bytes\)/);
    const mismatch = dirWith(Buffer.concat([header(0x803, 1, 28, 28), Buffer.alloc(784)]), Buffer.concat([header(0x801, 2), Buffer.from([1, 2])]));
    expect(() => loadFashionMnist({ dir: mismatch, split: 'test' })).toThrow(/2 labels for 1 images/);
    const badLabel = dirWith(Buffer.concat([header(0x803, 1, 28, 28), Buffer.alloc(784)]), Buffer.concat([header(0x801, 1), Buffer.from([12])]));
    expect(() => loadFashionMnist({ dir: badLabel, split: 'test' })).toThrow(/label 12 of image 0 is not a class index 0-9/);
  });

  it('refuses a file that is not gzip', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tbn-fm-'));
    writeFileSync(path.join(dir, 't10k-images-idx3-ubyte.gz'), 'hello');
    writeFileSync(path.join(dir, 't10k-labels-idx1-ubyte.gz'), 'hello');
    expect(() => loadFashionMnist({ dir, split: 'test' })).toThrow(/t10k-images-idx3-ubyte.gz: not a valid gzip file/);
  });
});
