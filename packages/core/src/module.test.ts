import * as tf from '@tensorflow/tfjs-core';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Module } from './module.js';
import { loadCheckpoint, saveCheckpoint } from './node.js';
import { useBackend } from './testing.js';
import { decodeSafetensors } from './safetensors.js';

class Leaf extends Module {
  readonly weight: tf.Variable;
  readonly mean: tf.Variable;
  resets = 0;
  constructor(n: number) {
    super();
    this.weight = this.addParameter('weight', tf.range(0, n, 1, 'float32'));
    this.mean = this.addBuffer('running_mean', tf.zeros([n]));
  }
  forward(x: tf.Tensor): tf.Tensor {
    return tf.mul(x, this.weight);
  }
  protected override onResetState(): void {
    this.resets++;
  }
}

class Tree extends Module {
  readonly a = this.addModule('a', new Leaf(3));
  readonly blocks = this.addModule(
    'blocks',
    new (class extends Module {
      constructor() {
        super();
        this.addModule('0', new Leaf(2));
      }
      forward(x: tf.Tensor) {
        return x;
      }
    })(),
  );
  forward(x: tf.Tensor): tf.Tensor {
    return this.a.forward(x);
  }
}

describe('Module', () => {
  beforeAll(() => useBackend('cpu'));

  it('names parameters and buffers by dotted path', () => {
    const m = new Tree();
    expect([...m.parameters().keys()]).toEqual(['a.weight', 'blocks.0.weight']);
    expect([...m.buffers().keys()]).toEqual(['a.running_mean', 'blocks.0.running_mean']);
    expect(m.parameterCount()).toBe(5);
    expect(m.parameters().get('a.weight')!.trainable).toBe(true);
    expect(m.buffers().get('a.running_mean')!.trainable).toBe(false);
  });

  it('switches train/eval on the whole tree and resets state everywhere', () => {
    const m = new Tree();
    m.eval();
    expect([...m.namedModules().values()].every((x) => !x.training)).toBe(true);
    m.train();
    expect([...m.namedModules().values()].every((x) => x.training)).toBe(true);
    m.resetState();
    expect(m.a.resets).toBe(1);
  });

  it('rejects duplicate and dotted member names', () => {
    class Bad extends Module {
      constructor(name: string) {
        super();
        this.addParameter('w', tf.zeros([1]));
        this.addParameter(name, tf.zeros([1]));
      }
      forward(x: tf.Tensor) {
        return x;
      }
    }
    expect(() => new Bad('w')).toThrow(/already has a member named 'w'/);
    expect(() => new Bad('a.b')).toThrow(/letters, digits/);
  });
});

describe('checkpoints (safetensors)', () => {
  beforeAll(() => useBackend('cpu'));
  const dir = mkdtempSync(join(tmpdir(), 'hs-ckpt-'));

  it('round-trips parameters and buffers bit for bit', () => {
    const a = new Tree();
    a.a.weight.assign(tf.tensor([0.1, -2.5, 3e-8]));
    a.a.mean.assign(tf.tensor([7, 8, 9]));
    const path = join(dir, 'a.safetensors');
    saveCheckpoint(a, path, { epoch: '3' });
    const b = new Tree();
    const meta = loadCheckpoint(b, path);
    expect(meta.epoch).toBe('3');
    expect(Array.from(b.a.weight.dataSync())).toEqual(Array.from(a.a.weight.dataSync()));
    expect(Array.from(b.a.mean.dataSync())).toEqual([7, 8, 9]);
  });

  it('writes the safetensors layout: LE u64 header length, JSON header, aligned data', async () => {
    const { readFileSync } = await import('node:fs');
    const bytes = new Uint8Array(readFileSync(join(dir, 'a.safetensors')));
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect((8 + n) % 8).toBe(0);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
    expect(header['a.weight']).toEqual({ dtype: 'F32', shape: [3], data_offsets: expect.any(Array) });
    expect(decodeSafetensors(bytes).tensors.get('a.running_mean')!.data).toEqual(new Float32Array([7, 8, 9]));
  });

  it('names the tensor on a shape mismatch', () => {
    const path = join(dir, 'small.safetensors');
    saveCheckpoint(new Tree(), path);
    const big = new (class extends Module {
      constructor() {
        super();
        this.addModule('a', new Leaf(4));
        this.addModule(
          'blocks',
          new (class extends Module {
            constructor() {
              super();
              this.addModule('0', new Leaf(2));
            }
            forward(x: tf.Tensor) {
              return x;
            }
          })(),
        );
      }
      forward(x: tf.Tensor) {
        return x;
      }
    })();
    expect(() => loadCheckpoint(big, path)).toThrow(
      /'a\.weight' has shape \[3\] in the checkpoint but \[4\]/,
    );
  });

  it('names missing tensors and rejects a file that is not safetensors', () => {
    const path = join(dir, 'leaf.safetensors');
    saveCheckpoint(new Leaf(3), path);
    expect(() => loadCheckpoint(new Tree(), path)).toThrow(/missing \["a\.weight"/);
    const junk = join(dir, 'junk.safetensors');
    writeFileSync(junk, new Uint8Array([255, 255, 255, 255, 0, 0, 0, 0, 1]));
    expect(() => loadCheckpoint(new Tree(), junk)).toThrow(/header says/);
    expect(() => loadCheckpoint(new Tree(), join(dir, 'nope.safetensors'))).toThrow(/cannot read checkpoint/);
  });
});
