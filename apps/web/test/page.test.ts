// The page in a real Chromium (Debian's, driven by playwright-core): a small exported model is
// served beside the built page; its probabilities must equal onnxruntime-node's for the same
// input, and the bit planes shown must equal BitPlaneEncoder's in Node.
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initRuntime } from '@hybridspike/core';
import '@hybridspike/encoders/plugin';
import { has8Vgg } from '@hybridspike/blocks';
import { loadMnistNpm, resizeDataset } from '@hybridspike/data';
import { BitPlaneEncoder } from '@hybridspike/encoders';
import { exportOnnxDetailed } from '@hybridspike/onnx';
import type { Browser, Page } from 'playwright-core';
import type { PageState } from '../src/page.js';
import { CHROMIUM, launchChromium } from '../scripts/chromium.js';
import { serveStatic } from '../scripts/static-server.js';

const app = join(dirname(fileURLToPath(import.meta.url)), '..');
/** CI keeps what is written here (the screenshot) as an artifact. */
const outDir = join(app, 'test-output');
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium && process.env.HYBRIDSPIKE_REQUIRE_BROWSER === '1')
  throw new Error(
    `the browser test needs Chromium at ${CHROMIUM} (apt-get install -y chromium, or set HYBRIDSPIKE_CHROMIUM).`,
  );

const SIZE = 16;
const encoderRef = { name: 'bitplane', surrogate: 'sigsine' };

/** An independent softmax (float64) of onnxruntime-node's logits. */
function softmax(v: Float32Array): number[] {
  const m = Math.max(...v);
  const e = Array.from(v, (x) => Math.exp(x - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / s);
}

describe.skipIf(!haveChromium)('the web page in Chromium', () => {
  let browser: Browser;
  let page: Page;
  let server: Server;
  let url: string;
  let site: string;
  let modelBytes: Uint8Array;
  let spikePaths: string[];
  let spikeNames: string[];
  let samples: { images: number[][]; labels: number[] };
  const work = mkdtempSync(join(tmpdir(), 'hybridspike-web-'));

  /** onnxruntime-node's probabilities (and spike counts per layer) for one uint8 HWC image. */
  async function reference(pixels: number[]): Promise<number[] & { spikeCounts: number[] }> {
    const ort = await import('onnxruntime-node');
    const session = await ort.InferenceSession.create(modelBytes);
    const x = Float32Array.from(pixels, (v) => v / 255);
    const out = await session.run({ input: new ort.Tensor('float32', x, [1, 1, SIZE, SIZE]) });
    const spikeCounts = spikeNames.map((n) => (out[n]!.data as Float32Array).reduce((a, b) => a + b, 0));
    return Object.assign(softmax(out.logits!.data as Float32Array), { spikeCounts });
  }

  /** The text of an element, once it has any. */
  async function textOf(selector: string): Promise<string> {
    await page.waitForFunction((sel) => (document.querySelector(sel)?.textContent ?? '') !== '', selector);
    return (await page.locator(selector).textContent()) ?? '';
  }

  async function stateAfter(runs: number): Promise<PageState> {
    await page.waitForFunction(
      (n) => window.hybridspikePage?.runs >= n || window.hybridspikePage?.state === 'error',
      runs,
    );
    const s = await page.evaluate(() => window.hybridspikePage);
    expect(s.error).toBeUndefined();
    return s;
  }

  beforeAll(async () => {
    await initRuntime();
    // A small seeded model (random weights: the check is parity, not accuracy).
    // A low threshold so that every layer fires (untrained layers stay silent at 1).
    const model = has8Vgg({
      inChannels: 1,
      numClasses: 10,
      base: 2,
      depth: 2,
      hidden: [32, 16],
      seed: 7,
      encoder: encoderRef,
      neuron: { name: 'lif', vThreshold: 0.05 },
    });
    model.eval();
    const exp = exportOnnxDetailed(model, {
      inputShape: [1, SIZE, SIZE],
      debugSpikes: true,
      metadata: { 'hybridspike.encoder': JSON.stringify(encoderRef), 'hybridspike.test_accuracy': '0.1' },
    });
    model.dispose();
    modelBytes = exp.bytes;
    spikePaths = exp.spikeOutputs.map((s) => s.path);
    spikeNames = exp.spikeOutputs.map((s) => s.name);
    const test = resizeDataset(loadMnistNpm(), { height: SIZE, width: SIZE }, 'bilinear');
    const pick = [0, 1200, 2500, 4000, 9000];
    samples = {
      labels: pick.map((i) => test.labels[i]!),
      images: pick.map((i) => Array.from(test.images.subarray(i * SIZE * SIZE, (i + 1) * SIZE * SIZE))),
    };
    const modelDir = join(work, 'model');
    mkdirSync(modelDir);
    writeFileSync(join(modelDir, 'model.onnx'), modelBytes);
    writeFileSync(
      join(modelDir, 'samples.json'),
      JSON.stringify({ height: SIZE, width: SIZE, channels: 1, ...samples }),
    );
    site = join(work, 'site');
    const { build } = await import('vite');
    await build({ root: app, logLevel: 'warn', build: { outDir: site, emptyOutDir: true } });
    ({ server, url } = await serveStatic(site, modelDir));
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1200, height: 1000 } });
    page.on('console', (m) => {
      if (m.type() === 'error') console.error(`[page] ${m.text()}`);
    });
    await page.goto(url);
    await page.waitForFunction(
      () =>
        document.querySelectorAll('#sample option').length > 1 || window.hybridspikePage?.state === 'error',
    );
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    server?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('shows the model metadata and runs a test image exactly as onnxruntime-node does', async () => {
    const s0 = await page.evaluate(() => window.hybridspikePage);
    expect(s0).toMatchObject({ state: 'ready', provider: 'wasm', tensorBackend: 'wasm' });
    expect(await textOf('#meta')).toContain('1 x 16 x 16');
    expect(await textOf('#meta')).toContain('10.00%');

    await page.selectOption('#sample', '3');
    const s = await stateAfter(1);
    expect(s.last!.pixels).toEqual(samples.images[3]);
    const ref = await reference(samples.images[3]!);
    const p = s.last!.probabilities;
    expect(p).toHaveLength(10);
    const maxDiff = Math.max(...p.map((v, k) => Math.abs(v - ref[k]!)));
    console.log(`[web test] page vs onnxruntime-node: max |dp| = ${maxDiff.toExponential(2)}`);
    expect(maxDiff).toBeLessThan(1e-4);
    // Random weights still give distinct probabilities: the comparison is not of two uniform vectors.
    expect(Math.max(...ref) - Math.min(...ref)).toBeGreaterThan(1e-3);

    // The planes: BitPlaneEncoder in Node on the same image, bit for bit.
    const x = tf.tensor4d(
      Float32Array.from(samples.images[3]!, (v) => v / 255),
      [1, SIZE, SIZE, 1],
    );
    const planes = new BitPlaneEncoder({ surrogate: 'sigsine' }).encode(x);
    expect(planes.shape).toEqual([8, 1, SIZE, SIZE, 1]);
    expect(s.last!.planes).toEqual(Array.from(planes.dataSync()));
    expect(s.last!.planes.some((v) => v === 1)).toBe(true);
    tf.dispose([x, planes]);

    // One raster per neuron layer of the export (the same spikes as in Node), and 8 plane canvases.
    expect(s.last!.spikeLayers).toEqual(spikePaths);
    expect(s.last!.spikeCounts).toEqual(ref.spikeCounts);
    expect(ref.spikeCounts.every((n) => n > 0)).toBe(true);
    expect(spikePaths.length).toBeGreaterThan(2);
    expect(await page.locator('#rasters canvas').count()).toBe(spikePaths.length);
    expect(await page.locator('#planes canvas').count()).toBe(8);
    mkdirSync(outDir, { recursive: true });
    await page.screenshot({ path: join(outDir, 'page.png'), fullPage: true });
  });

  it('classifies a digit drawn on the canvas with the same numbers as onnxruntime-node', async () => {
    const box = (await page.locator('#pad').boundingBox())!;
    // A "1": one vertical stroke.
    await page.mouse.move(box.x + 140, box.y + 50);
    await page.mouse.down();
    for (let y = 60; y <= 230; y += 10) await page.mouse.move(box.x + 140 + (y - 50) / 20, box.y + y);
    await page.mouse.up();
    const s = await stateAfter(2);
    expect(s.last!.source).toBe('drawing');
    expect(s.last!.pixels.some((v) => v > 128)).toBe(true);
    const ref = await reference(s.last!.pixels);
    expect(Math.max(...s.last!.probabilities.map((v, k) => Math.abs(v - ref[k]!)))).toBeLessThan(1e-4);
  });

  it('opens a model from the file picker', async () => {
    const file = join(work, 'picked.onnx');
    writeFileSync(file, modelBytes);
    await page.setInputFiles('#model-file', file);
    await page.waitForFunction(() => document.querySelector('#meta')?.textContent?.includes('picked.onnx'));
    await page.selectOption('#sample', '1');
    const s = await stateAfter(3);
    const ref = await reference(samples.images[1]!);
    expect(Math.max(...s.last!.probabilities.map((v, k) => Math.abs(v - ref[k]!)))).toBeLessThan(1e-4);
  });

  it('says which URL failed when the tfjs wasm binaries are not served, and still shows the planes', async () => {
    renameSync(join(site, 'tfjs'), join(site, 'tfjs-moved'));
    try {
      await page.reload();
      await page.waitForFunction(() => window.hybridspikePage?.state !== 'loading');
      const s = await page.evaluate(() => window.hybridspikePage);
      expect(s.tensorBackend).toBe('cpu');
      expect(await textOf('#planes-note')).toContain(`${url}tfjs/`);
      await page.selectOption('#sample', '2');
      const after = await stateAfter(1);
      const x = tf.tensor4d(
        Float32Array.from(samples.images[2]!, (v) => v / 255),
        [1, SIZE, SIZE, 1],
      );
      const planes = new BitPlaneEncoder({ surrogate: 'sigsine' }).encode(x);
      expect(after.last!.planes).toEqual(Array.from(planes.dataSync()));
      tf.dispose([x, planes]);
    } finally {
      renameSync(join(site, 'tfjs-moved'), join(site, 'tfjs'));
    }
  });
});
