import * as tf from '@tensorflow/tfjs-core';
import { initRuntime, Rng, type Module } from '@hybridspike/core';
import { has8ResNet, has8Vgg, type HybridModel } from '@hybridspike/blocks';
import { parityReference, recordMembranes } from '@hybridspike/neurons';
import { exportOnnxDetailed } from '@hybridspike/onnx';
import { checkOnnx } from '@hybridspike/onnx/check';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  exportNir,
  importNir,
  nirGraphOf,
  readNirBytes,
  SUPPORTED_NODES,
  writeNirBytes,
  type NirGraph,
} from './index.js';

beforeAll(async () => {
  await initRuntime({ backend: 'wasm' });
});

/** Inputs with structure (bright blobs), so that spiking layers fire. */
function images(n: number, size: number, channels: number, seed: number): tf.Tensor4D {
  const rng = new Rng(seed);
  const v = new Float32Array(n * size * size * channels);
  for (let i = 0; i < v.length; i++)
    v[i] = rng.uniform() < 0.35 ? 0.6 + 0.4 * rng.uniform() : 0.1 * rng.uniform();
  return tf.tensor4d(v, [n, size, size, channels]);
}

/** Gives BatchNorm running statistics and weights that make every spiking layer fire. */
function excite(model: Module, seed: number): void {
  const rng = new Rng(seed);
  for (const [path, v] of model.stateDict()) {
    if (path.endsWith('running_var')) v.assign(tf.fill(v.shape, 0.5));
    else if (path.endsWith('running_mean')) v.assign(tf.fill(v.shape, 0.1));
    else if (path.endsWith('bn1.bias') || /bn\d?\.bias$/.test(path))
      v.assign(
        tf.tensor(
          Array.from({ length: v.size }, () => 0.5 + rng.uniform()),
          v.shape,
        ),
      );
  }
}

/** Spikes of every neuron layer of `m` on `x`, by path (h >= threshold). */
function spikesOf(m: Module, x: tf.Tensor): Map<string, { s: Uint8Array; tie: Uint8Array }> {
  const { records } = recordMembranes(m, () => tf.tidy(() => void m.forward(x).dataSync()));
  const out = new Map<string, { s: Uint8Array; tie: Uint8Array }>();
  for (const [p, r] of records)
    out.set(p, {
      s: Uint8Array.from(r.h, (h) => (h >= r.threshold ? 1 : 0)),
      tie: Uint8Array.from(r.h, (h) => (Math.abs(h - r.threshold) < 1e-4 ? 1 : 0)),
    });
  return out;
}

/** The imported network's module path for our module path (node names made module names). */
const importedPath = (p: string) => `network.${p.replace(/[^A-Za-z0-9_]/g, '_')}`;

async function roundTrip(model: HybridModel, shape: [number, number, number], seed: number) {
  excite(model, seed);
  model.eval();
  const bytes = await exportNir(model, { inputShape: shape });
  const imported = await importNir(bytes);
  const x = images(6, shape[1], shape[0], seed);
  const ours = spikesOf(model, x);
  const theirs = spikesOf(imported.classifier!, x);
  let spikes = 0;
  for (const [p, a] of ours) {
    const b = theirs.get(importedPath(p));
    expect(b, `imported layer for ${p}`).toBeDefined();
    for (let i = 0; i < a.s.length; i++) if (!a.tie[i]) expect(b!.s[i], `${p}[${i}]`).toBe(a.s[i]);
    spikes += a.s.reduce((u, v) => u + v, 0);
  }
  const logits = [model.forward(x).dataSync(), imported.classifier!.forward(x).dataSync()];
  let d = 0;
  for (let i = 0; i < logits[0]!.length; i++) d = Math.max(d, Math.abs(logits[0]![i]! - logits[1]![i]!));
  return { spikes, maxLogitDiff: d, imported, x, layers: ours.size };
}

/** A small has8Vgg SNN-only twin (1 channel, 8x8, 4 classes). */
const vggTwin = (seed: number) =>
  has8Vgg({ inChannels: 1, numClasses: 4, base: 2, depth: 1, hidden: [8, 8], branch: 'snn', seed });

describe('export -> import round trip', () => {
  it("has8Vgg's SNN twin: the same spikes step by step in every layer, the same logits", async () => {
    const model = vggTwin(2);
    const r = await roundTrip(model, [1, 8, 8], 5);
    expect(r.layers).toBe(4);
    expect(r.spikes).toBeGreaterThan(50);
    expect(r.maxLogitDiff).toBeLessThan(1e-4);
  });

  it("has8ResNet's SNN twin (SEW residual adds are NIR fan-in), likewise", async () => {
    const model = has8ResNet({
      inChannels: 3,
      numClasses: 3,
      base: 4,
      layers: [1, 1],
      branch: 'snn',
      seed: 3,
    });
    const r = await roundTrip(model, [3, 16, 16], 7);
    expect(r.spikes).toBeGreaterThan(50);
    expect(r.maxLogitDiff).toBeLessThan(1e-4);
    const sum = r.imported.graph.edges.filter(([, b]) => b === 'stages.1.snn.conv1');
    expect(sum.length).toBe(2); // the block's output and its shortcut, summed
  });

  it('an imported graph exports to ONNX and passes the parity check (spikes included)', async () => {
    const model = vggTwin(4);
    excite(model, 9);
    model.eval();
    const { classifier } = await importNir(await exportNir(model, { inputShape: [1, 8, 8] }));
    const x = images(4, 8, 1, 11);
    const debug = exportOnnxDetailed(classifier!, { inputShape: [1, 8, 8], debugSpikes: true });
    const report = await checkOnnx(debug.bytes, parityReference(classifier!), x, {
      spikeOutputs: debug.spikeOutputs,
    });
    expect(report.spikeMismatches - report.tieMismatches).toBe(0);
    expect(report.ok).toBe(true);
  });
});

describe("the file follows NIR's HDF5 layout", () => {
  it('version, node graph, nodes with type and parameter datasets, edges, metadata', async () => {
    const model = vggTwin(2);
    const bytes = await exportNir(model, { inputShape: [1, 8, 8], dt: 1e-3 });
    const h5 = (await import('h5wasm')).default;
    const { FS } = (await h5.ready) as unknown as { FS: { writeFile(p: string, b: Uint8Array): void } };
    FS.writeFile('/layout.nir', bytes);
    const f = new h5.File('/layout.nir', 'r');
    try {
      const get = (p: string) => f.get(p) as { value: unknown; shape: number[]; dtype: string } | null;
      expect(get('version')!.value).toBe('1.0.6');
      expect(get('node/type')!.value).toBe('NIRGraph');
      const conv = 'node/nodes/blocks.0.snn.conv';
      expect(get(`${conv}/type`)!.value).toBe('Conv2d');
      expect(get(`${conv}/weight`)!.shape).toEqual([2, 1, 3, 3]);
      expect(get(`${conv}/weight`)!.dtype).toBe('<f');
      expect(get(`${conv}/stride`)!.dtype).toBe('<q');
      expect(Array.from(get(`${conv}/padding`)!.value as BigInt64Array, Number)).toEqual([1, 1]);
      expect(Array.from(get(`${conv}/input_shape`)!.value as BigInt64Array, Number)).toEqual([8, 8]);
      const lif = 'node/nodes/blocks.0.snn.lif';
      expect(get(`${lif}/type`)!.value).toBe('LIF');
      for (const k of ['tau', 'r', 'v_leak', 'v_threshold', 'v_reset'])
        expect(get(`${lif}/${k}`)!.shape).toEqual([2, 8, 8]);
      expect((get(`${lif}/tau`)!.value as Float32Array)[0]).toBeCloseTo(2e-3, 9); // tau = 2 steps of dt
      expect(Array.from(get(`${lif}/input_type/input`)!.value as BigInt64Array, Number)).toEqual([2, 8, 8]);
      expect(get('node/nodes/input/type')!.value).toBe('Input');
      expect(get('node/nodes/head.snn.fc3/type')!.value).toBe('Affine');
      const edges = get('node/edges')!;
      expect(edges.shape[1]).toBe(2);
      expect((edges.value as string[]).slice(0, 2)).toEqual(['input', 'blocks.0.snn.conv']);
      expect(get('node/metadata/hybridspike.dt')!.value).toBe('0.001');
      expect(JSON.parse(get('node/metadata/hybridspike.encoder')!.value as string)).toMatchObject({
        kind: 'bitplane',
        bits: 8,
      });
      expect((f.get('node/nodes') as unknown as { keys(): string[] }).keys()).not.toContain(
        'blocks.0.snn.bn',
      ); // folded
    } finally {
      f.close();
    }
  });
});

/** A file written the way NIR's Python writer lays it out, without our writer. */
async function handWritten(build: (g: NodeGroup) => void): Promise<Uint8Array> {
  const h5 = (await import('h5wasm')).default;
  const { FS } = (await h5.ready) as unknown as { FS: { readFile(p: string): Uint8Array } };
  const f = new h5.File('/hand.nir', 'w');
  f.create_dataset({ name: 'version', data: '1.0.6' });
  build(f.create_group('node') as unknown as NodeGroup);
  f.close();
  return FS.readFile('/hand.nir');
}
interface NodeGroup {
  create_group(name: string): NodeGroup;
  create_dataset(o: { name: string; data: unknown; shape?: number[]; dtype?: string }): void;
}
const f32 = (g: NodeGroup, name: string, data: number[], shape: number[]) =>
  g.create_dataset({ name, data: Float32Array.from(data), shape, dtype: '<f' });
const i64 = (g: NodeGroup, name: string, data: number[]) =>
  g.create_dataset({ name, data: BigInt64Array.from(data.map(BigInt)), shape: [data.length], dtype: '<q' });
function graph(g: NodeGroup, nodes: Record<string, (n: NodeGroup) => void>, edges: [string, string][]): void {
  g.create_dataset({ name: 'type', data: 'NIRGraph' });
  const ns = g.create_group('nodes');
  for (const [name, fill] of Object.entries(nodes)) fill(ns.create_group(name));
  g.create_dataset({ name: 'edges', data: edges.flat(), shape: [edges.length, 2] });
}
const typed =
  (type: string, fill: (n: NodeGroup) => void = () => undefined) =>
  (n: NodeGroup) => {
    n.create_dataset({ name: 'type', data: type });
    fill(n);
  };

/** Time-major spike input `[T, B, ...]` from a function of (t, i). */
function spikes(T: number, shape: number[], f: (t: number, i: number) => number): tf.Tensor {
  const per = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(
    Float32Array.from({ length: T * per }, (_, k) => f(Math.floor(k / per), k % per)),
    [T, 1, ...shape],
  );
}

describe('NIR files of other frameworks', () => {
  it('a Sinabs-style CNN (Conv2d, IF with r = 1 at dt = 1, SumPool2d, Flatten, Linear) simulates to hand-computed spikes', async () => {
    // 1 channel 4x4 -> Conv2d 1->1 3x3 pad 1 (all ones) -> IF(th 2.5) -> SumPool2d 2 -> Flatten -> Linear 4->1 (ones) -> IF(th 1.5)
    const bytes = await handWritten((g) =>
      graph(
        g,
        {
          input: typed('Input', (n) => i64(n, 'shape', [1, 4, 4])),
          conv: typed('Conv2d', (n) => {
            f32(n, 'weight', new Array(9).fill(1), [1, 1, 3, 3]);
            f32(n, 'bias', [0], [1]);
            i64(n, 'stride', [1, 1]);
            i64(n, 'padding', [1, 1]);
            i64(n, 'dilation', [1, 1]);
            n.create_dataset({ name: 'groups', data: BigInt64Array.from([1n]), shape: [], dtype: '<q' });
            i64(n, 'input_shape', [4, 4]);
          }),
          if1: typed('IF', (n) => {
            f32(n, 'r', new Array(16).fill(1), [1, 4, 4]);
            f32(n, 'v_threshold', new Array(16).fill(2.5), [1, 4, 4]);
          }),
          pool: typed('SumPool2d', (n) => {
            i64(n, 'kernel_size', [2, 2]);
            i64(n, 'stride', [2, 2]);
            i64(n, 'padding', [0, 0]);
          }),
          flat: typed('Flatten', (n) => {
            i64(n, 'input_type', [1, 2, 2]);
            n.create_dataset({ name: 'start_dim', data: BigInt64Array.from([0n]), shape: [], dtype: '<q' });
            n.create_dataset({ name: 'end_dim', data: BigInt64Array.from([-1n]), shape: [], dtype: '<q' });
          }),
          fc: typed('Linear', (n) => f32(n, 'weight', [1, 1, 1, 1], [1, 4])),
          if2: typed('IF', (n) => {
            f32(n, 'r', [1], [1]);
            f32(n, 'v_threshold', [1.5], [1]);
          }),
          output: typed('Output', (n) => i64(n, 'shape', [1])),
        },
        [
          ['input', 'conv'],
          ['conv', 'if1'],
          ['if1', 'pool'],
          ['pool', 'flat'],
          ['flat', 'fc'],
          ['fc', 'if2'],
          ['if2', 'output'],
        ],
      ),
    );
    const { network } = await importNir(bytes, { dt: 1 });
    // Input: pixel (1,1) spikes at every step, pixel (2,2) at odd steps (row-major 4x4).
    const T = 4;
    const x = spikes(T, [4, 4, 1], (t, i) => (i === 5 || (i === 10 && t % 2 === 1) ? 1 : 0));
    const out = network.forward(x).dataSync();
    // Hand computation: conv sums the 3x3 window; IF integrates with hard reset to 0 at >= 2.5.
    const inp = (t: number, y: number, xx: number) =>
      (y === 1 && xx === 1) || (y === 2 && xx === 2 && t % 2 === 1) ? 1 : 0;
    const v1 = new Array(16).fill(0);
    let v2 = 0;
    const expected: number[] = [];
    for (let t = 0; t < T; t++) {
      const s1 = new Array(16).fill(0);
      for (let y = 0; y < 4; y++)
        for (let xx = 0; xx < 4; xx++) {
          let c = 0;
          for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) c += inp(t, y + dy, xx + dx);
          const h = v1[y * 4 + xx] + c;
          s1[y * 4 + xx] = h >= 2.5 ? 1 : 0;
          v1[y * 4 + xx] = s1[y * 4 + xx] ? 0 : h;
        }
      const pooled = [0, 1, 2, 3].map((q) => {
        const [py, px] = [Math.floor(q / 2) * 2, (q % 2) * 2];
        return s1[py * 4 + px] + s1[py * 4 + px + 1] + s1[(py + 1) * 4 + px] + s1[(py + 1) * 4 + px + 1];
      });
      const h2 = v2 + pooled.reduce((a, b) => a + b, 0);
      expected.push(h2 >= 1.5 ? 1 : 0);
      v2 = h2 >= 1.5 ? 0 : h2;
    }
    expect(Array.from(out)).toEqual(expected);
    expect(expected.some((s) => s === 1)).toBe(true);
  });

  it("an snnTorch-style Affine + LIF chain (tau = dt / (1 - beta), r = tau / dt) simulates snnTorch's v <- beta v + W x", async () => {
    const dt = 1e-4;
    const beta = 0.8;
    const tau = dt / (1 - beta);
    const W = [0.7, -0.2, 0.4, 0.9]; // [2 out, 2 in]
    const b = [0.1, 0.05];
    const bytes = await handWritten((g) =>
      graph(
        g,
        {
          input: typed('Input', (n) => i64(n, 'shape', [2])),
          fc: typed('Affine', (n) => {
            f32(n, 'weight', W, [2, 2]);
            f32(n, 'bias', b, [2]);
          }),
          lif: typed('LIF', (n) => {
            f32(n, 'tau', [tau, tau], [2]);
            f32(n, 'r', [tau / dt, tau / dt], [2]);
            f32(n, 'v_leak', [0, 0], [2]);
            f32(n, 'v_threshold', [1, 1], [2]);
            f32(n, 'v_reset', [0, 0], [2]);
          }),
          output: typed('Output', (n) => i64(n, 'shape', [2])),
        },
        [
          ['input', 'fc'],
          ['fc', 'lif'],
          ['lif', 'output'],
        ],
      ),
    );
    const { network, dt: usedDt } = await importNir(bytes);
    expect(usedDt).toBe(1e-4);
    const T = 6;
    const xs = [
      [1, 0],
      [1, 1],
      [0, 1],
      [1, 0],
      [1, 1],
      [0, 0],
    ];
    const out = network.forward(spikes(T, [2], (t, i) => xs[t]![i]!)).dataSync();
    const v = [0, 0];
    const expected: number[] = [];
    for (let t = 0; t < T; t++)
      for (let o = 0; o < 2; o++) {
        const h = beta * v[o]! + W[o * 2]! * xs[t]![0]! + W[o * 2 + 1]! * xs[t]![1]! + b[o]!;
        expected.push(h >= 1 ? 1 : 0);
        v[o] = h >= 1 ? 0 : h;
      }
    expect(Array.from(out)).toEqual(expected);
    expect(expected.filter((s) => s === 1).length).toBeGreaterThan(1);
  });

  it('a DAG with fan-out and summing fan-in, a nested graph, LI, I and Threshold', async () => {
    const g: NirGraph = {
      type: 'NIRGraph',
      metadata: {},
      nodes: {
        input: { type: 'Input', params: { shape: [2] } },
        a: { type: 'Linear', params: { weight: { data: Float32Array.from([1, 0, 0, 1]), shape: [2, 2] } } },
        sub: {
          type: 'NIRGraph',
          metadata: {},
          nodes: {
            in: { type: 'Input', params: { shape: [2] } },
            scale: { type: 'Scale', params: { scale: { data: Float32Array.from([2, 3]), shape: [2] } } },
            out: { type: 'Output', params: { shape: [2] } },
          },
          edges: [
            ['in', 'scale'],
            ['scale', 'out'],
          ],
        },
        li: {
          type: 'LI',
          params: {
            tau: { data: Float32Array.from([2, 2]), shape: [2] },
            r: { data: Float32Array.from([1, 1]), shape: [2] },
            v_leak: { data: Float32Array.from([0, 0]), shape: [2] },
          },
        },
        integ: { type: 'I', params: { r: { data: Float32Array.from([1, 1]), shape: [2] } } },
        th: { type: 'Threshold', params: { threshold: { data: Float32Array.from([2.5, 2.5]), shape: [2] } } },
        output: { type: 'Output', params: { shape: [2] } },
      },
      edges: [
        ['input', 'a'],
        ['input', 'sub'],
        ['a', 'li'],
        ['sub', 'li'],
        ['li', 'integ'],
        ['integ', 'th'],
        ['th', 'output'],
      ],
    };
    const { network } = await importNir(await writeNirBytes(g), { dt: 1 });
    const T = 4;
    const out = network.forward(spikes(T, [2], (t, i) => (i === 0 ? 1 : t % 2))).dataSync();
    // li input = x + scale * x = (1 + s) x; LI with dt / tau = 0.5; I sums; Threshold > 2.5.
    const s = [2, 3];
    const [v, acc] = [
      [0, 0],
      [0, 0],
    ];
    const expected: number[] = [];
    for (let t = 0; t < T; t++)
      for (let i = 0; i < 2; i++) {
        const x = i === 0 ? 1 : t % 2;
        v[i] = v[i]! + 0.5 * (0 - v[i]! + (1 + s[i]!) * x);
        acc[i] = acc[i]! + v[i]!;
        expected.push(acc[i]! > 2.5 ? 1 : 0);
      }
    expect(Array.from(out)).toEqual(expected);
    expect(network.moduleOf('sub')).not.toBeNull();
  });
});

describe('errors', () => {
  it('corrupt and unsupported files, and models NIR cannot describe, are refused with what to do', async () => {
    await expect(importNir(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9]))).rejects.toThrow(
      /lacks the HDF5 signature/,
    );
    const good = await writeNirBytes({
      type: 'NIRGraph',
      metadata: {},
      nodes: {
        input: { type: 'Input', params: { shape: [1] } },
        syn: { type: 'CubaLIF', params: {} },
        output: { type: 'Output', params: { shape: [1] } },
      },
      edges: [
        ['input', 'syn'],
        ['syn', 'output'],
      ],
    });
    await expect(importNir(good.slice(0, 600))).rejects.toThrow(/cannot read the NIR file/);
    await expect(importNir(good)).rejects.toThrow(
      new RegExp(
        `node 'syn' has type 'CubaLIF', which hybridspike does not run \\(supported: ${SUPPORTED_NODES.slice(0, 3).join(', ')}`,
      ),
    );
    const hybrid = has8Vgg({ inChannels: 1, numClasses: 2, base: 1, depth: 1, hidden: [4, 4] });
    expect(() => nirGraphOf(hybrid, { inputShape: [1, 8, 8] })).toThrow(
      /hybrid model has ANN parts \(blocks\.0\.ann, .*head\.ann\); export its SNN-only twin/,
    );
    const soft = has8Vgg({
      inChannels: 1,
      numClasses: 2,
      base: 1,
      depth: 1,
      hidden: [4, 4],
      branch: 'snn',
      neuron: { name: 'lif', vReset: null },
    });
    expect(() => nirGraphOf(soft, { inputShape: [1, 8, 8] })).toThrow(/soft reset .* no NIR primitive/);
    const round = await readNirBytes(good);
    expect(Object.keys(round.graph.nodes)).toEqual(['input', 'output', 'syn']);
  });
});
