import * as tf from '@tensorflow/tfjs-core';
import { Module } from '@hybridspike/core';
import { useBackend } from '@hybridspike/core/internal/testing';
import { has8ResNet, has8Vgg, type HybridModel } from '@hybridspike/blocks';
import { BitPlaneEncoder, LatencyEncoder, RateEncoder, TemporalBitEncoder } from '@hybridspike/encoders';
import { beforeAll, describe, expect, it } from 'vitest';
import { parityReference } from '@hybridspike/neurons';
import { checkOnnx } from './check.js';
import { exportOnnxDetailed } from './export.js';
import { decodeModel } from './proto.js';

async function parity(model: HybridModel, size: number, batches = [32, 1, 7]) {
  // Train a little so BatchNorm running stats are not the identity, then compare in eval mode.
  model.train();
  model.forward(tf.randomUniform([8, size, size, model.inChannels], 0, 1, 'float32', 5));
  const { bytes, spikeOutputs } = exportOnnxDetailed(model, {
    inputShape: [model.inChannels, size, size],
    debugSpikes: true,
  });
  const reports = [];
  for (const [i, n] of batches.entries()) {
    const x = tf.randomUniform([n, size, size, model.inChannels], 0, 1, 'float32', 100 + i);
    reports.push(await checkOnnx(bytes, parityReference(model), x, { spikeOutputs }));
  }
  return { bytes, reports, spikeOutputs };
}

describe('ONNX export', () => {
  beforeAll(() => useBackend('wasm'));

  for (const branch of ['hybrid', 'ann', 'snn'] as const) {
    it(`has8Vgg (${branch}) matches onnxruntime on 32 inputs and batches of 1 and 7`, async () => {
      const m = has8Vgg({
        inChannels: 1,
        numClasses: 10,
        base: 2,
        depth: 2,
        hidden: [16, 8],
        branch,
        neuron: { name: 'lif', vThreshold: 0.3 },
      });
      const { reports, spikeOutputs } = await parity(m, 8);
      for (const r of reports) {
        expect(r.argmaxAgreement).toBe(1);
        expect(r.nonTieMismatches).toBe(0);
        if (r.tieMismatches === 0) expect(r.maxAbsDiff).toBeLessThan(1e-4);
        expect(r.ok).toBe(true);
      }
      if (branch !== 'ann') expect(spikeOutputs.length).toBeGreaterThan(0);
    });
  }

  for (const branch of ['hybrid', 'ann', 'snn'] as const) {
    it(`has8ResNet (${branch}, basic and bottleneck) matches onnxruntime`, async () => {
      for (const preset of ['resnet18', 'resnet50'] as const) {
        const m = has8ResNet({
          inChannels: 3,
          numClasses: 5,
          base: 2,
          preset,
          branch,
          neuron: { name: 'lif', vThreshold: 0.3 },
        });
        const { reports } = await parity(m, 16, [7, 1]);
        for (const r of reports) expect(r.ok, JSON.stringify(r)).toBe(true);
      }
    });
  }

  it('exports every exportable encoder, IF/LIF/PLIF with hard (to 0 and to -0.1) and soft reset', async () => {
    const variants = [
      { encoder: new BitPlaneEncoder({ order: 'lsb', rescale: 'sample' }), neuron: { name: 'if' } },
      { encoder: new LatencyEncoder({ steps: 6 }), neuron: { name: 'lif', vReset: null, vThreshold: 0.2 } },
      {
        encoder: new TemporalBitEncoder({ latencySteps: 3 }),
        neuron: { name: 'plif', tau: 3, vThreshold: 0.2 },
        decoder: 'rate',
      },
      {
        encoder: new BitPlaneEncoder({ bits: 4 }),
        neuron: { name: 'lif', decayInput: false, vThreshold: 0.2 },
      },
      // A hard reset to a value other than 0 (Where, and the charge's `+ c`).
      { encoder: new BitPlaneEncoder(), neuron: { name: 'lif', vReset: -0.1, vThreshold: 0.2 } },
    ];
    for (const v of variants) {
      const m = has8Vgg({
        inChannels: 2,
        numClasses: 3,
        base: 1,
        depth: 1,
        hidden: [6, 4],
        branch: 'snn',
        ...v,
      } as never);
      const { reports } = await parity(m, 4, [7]);
      expect(reports[0]!.ok, JSON.stringify({ kind: v.encoder.kind, r: reports[0] })).toBe(true);
    }
  });

  it('writes opset 17, IR 8, a dynamic batch, parameter-path initialisers and metadata', () => {
    const m = has8Vgg({ inChannels: 1, numClasses: 10, base: 1, depth: 1, hidden: [4, 4] });
    const { bytes } = exportOnnxDetailed(m, { inputShape: [1, 8, 8] });
    const p = decodeModel(bytes) as {
      irVersion: number;
      opsetImport: { version: number }[];
      graph: {
        initializer: { name: string }[];
        input: { type: { tensorType: { shape: { dim: { dimParam?: string }[] } } } }[];
      };
      metadataProps: { key: string; value: string }[];
    };
    expect(p.irVersion).toBe(8);
    expect(p.opsetImport[0]!.version).toBe(17);
    expect(p.graph.input[0]!.type.tensorType.shape.dim[0]!.dimParam).toBe('batch');
    const names = p.graph.initializer.map((i) => i.name);
    for (const name of m.stateDict().keys()) expect(names).toContain(name);
    const meta = Object.fromEntries(p.metadataProps.map((e) => [e.key, e.value]));
    expect(meta['hybridspike.T']).toBe('8');
    expect(JSON.parse(meta['hybridspike.config']!).model).toBe('has8Vgg');
  });

  it('the parity check fails when the model and the export disagree (no tie excuses it)', async () => {
    const m = has8Vgg({
      inChannels: 1,
      numClasses: 10,
      base: 2,
      depth: 1,
      hidden: [8, 8],
      branch: 'snn',
      neuron: { name: 'lif', vThreshold: 0.3 },
    });
    m.eval();
    const x = tf.randomUniform([6, 8, 8, 1], 0, 1, 'float32', 11);
    const debug = exportOnnxDetailed(m, { inputShape: [1, 8, 8], debugSpikes: true });
    const same = await checkOnnx(debug.bytes, parityReference(m), x, { spikeOutputs: debug.spikeOutputs });
    expect(same.ok).toBe(true);
    // Change the tfjs model after export: the first conv's weights no longer match.
    const w = m.parameters().get('blocks.0.snn.conv.weight')!;
    w.assign(tf.mul(w, -1.5));
    const r = await checkOnnx(debug.bytes, parityReference(m), x, { spikeOutputs: debug.spikeOutputs });
    expect(r.ok).toBe(false);
    expect(r.nonTieMismatches).toBeGreaterThan(0);
    expect(r.tiedSamples).toBeLessThan(6);
  });

  it('names the module that cannot be exported and why', () => {
    const rate = has8Vgg({
      inChannels: 1,
      numClasses: 2,
      base: 1,
      depth: 1,
      hidden: [4, 4],
      encoder: new RateEncoder(),
    });
    expect(() => exportOnnxDetailed(rate, { inputShape: [1, 8, 8] })).toThrow(
      /cannot export 'blocks.0.snn' \(SnnConvBlock\): its 'rate' encoder draws random numbers/,
    );
    class Custom extends Module {
      forward(x: tf.Tensor) {
        return tf.sin(x);
      }
    }
    expect(() => exportOnnxDetailed(new Custom(), { inputShape: [1, 2, 2] })).toThrow(
      /cannot export '' \(Custom\): no ONNX lowering for this module type; give its class a `toOnnx\(ctx, x\)` method/,
    );
    expect(() => exportOnnxDetailed(rate, { inputShape: [1, 8, 8], opset: 13 })).toThrow(/opset/);
  });
});
