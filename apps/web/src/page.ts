import { resizeDataset, resizeModeFor } from '@hybridspike/data/transforms';
import type { SpikeEncoder } from '@hybridspike/encoders';
import { DrawPad } from './draw-pad.js';
import { loadModel, predict, type LoadedModel } from './model.js';
import { encodePlanes, encoderOf, startTensorRuntime } from './planes.js';
import { paintGrey, showPlanes, showProbabilities, showRasters } from './views.js';

/** Test images as `hybridspike web` writes them (uint8 HWC at the model's input size). */
interface Samples {
  height: number;
  width: number;
  channels: number;
  labels: number[];
  images: number[][];
}

/** What the page last showed; read by the browser test (and handy in the console). */
export interface PageState {
  state: 'loading' | 'ready' | 'error';
  error?: string;
  /** Execution provider of the ONNX session and tfjs backend of the live encoder. */
  provider?: string;
  tensorBackend?: string;
  runs: number;
  last?: {
    source: string;
    pixels: number[];
    probabilities: number[];
    planes: number[];
    spikeLayers: string[];
    spikeCounts: number[];
  };
}

declare global {
  interface Window {
    hybridspikePage: PageState;
  }
}

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

function setStatus(state: PageState['state'], text: string): void {
  const el = $('status');
  el.dataset.state = state;
  el.textContent = text;
  window.hybridspikePage.state = state;
  if (state === 'error') window.hybridspikePage.error = text;
}

/** A drawn 28x28 digit at the model's input size and channels (resized as the training data was). */
function fromDrawing(gray28: Uint8Array, [C, H, W]: [number, number, number]): Uint8Array {
  const src = {
    name: 'drawing',
    images: gray28,
    labels: new Uint8Array(1),
    count: 1,
    height: 28,
    width: 28,
    channels: 1,
    classes: 10,
  };
  const to = { height: H, width: W };
  const g = resizeDataset(src, to, resizeModeFor(src, to)).images;
  const out = new Uint8Array(H * W * C);
  for (let i = 0; i < H * W; i++) out.fill(g[i]!, i * C, (i + 1) * C);
  return out;
}

function showMeta(model: LoadedModel, source: string): void {
  const m = model.meta;
  const pct = (v?: string) => (v ? `${(100 * Number(v)).toFixed(2)}%` : undefined);
  const rows: [string, string | undefined][] = [
    ['file', source],
    ['runs on', `onnxruntime-web (${model.provider})`],
    ['input', model.inputShape.join(' x ')],
    ['time steps T', m['hybridspike.T']],
    ['configuration', m['hybridspike.configuration']],
    ['test accuracy', pct(m['hybridspike.test_accuracy'])],
    [
      'energy / inference',
      m['hybridspike.energy_uj'] ? `${Number(m['hybridspike.energy_uj']).toFixed(3)} µJ` : undefined,
    ],
    ['encoder', m['hybridspike.encoder']],
    ['config', m['hybridspike.config']],
    ['run', m['hybridspike.run_id']],
    ['exporter', m['hybridspike.version']],
  ];
  $('meta').replaceChildren(
    ...rows
      .filter((r): r is [string, string] => r[1] !== undefined)
      .flatMap(([k, v]) => {
        const dt = document.createElement('dt');
        dt.textContent = k;
        const dd = document.createElement('dd');
        dd.textContent = v;
        return [dt, dd];
      }),
  );
}

/** Starts the page: tfjs for the live planes, then the served model (if any) and its samples. */
export async function startPage(): Promise<void> {
  window.hybridspikePage = { state: 'loading', runs: 0 };
  let model: LoadedModel | null = null;
  let encoder: SpikeEncoder | null = null;
  let samples: Samples | null = null;

  const run = async (pixels: Uint8Array, source: string) => {
    if (!model || !encoder) return;
    const shape = model.inputShape;
    const [C, H, W] = shape;
    const first = Array.from({ length: H * W }, (_, i) => pixels[i * C]! / 255);
    paintGrey($<HTMLCanvasElement>('input-view'), first, H, W, Math.max(1, Math.floor(112 / W)));
    const pred = await predict(model, pixels);
    const planes = encodePlanes(encoder, pixels, shape);
    showProbabilities($('probabilities'), pred.probabilities);
    showPlanes($('planes'), planes, shape, encoder.kind === 'bitplane');
    showRasters($('rasters'), pred.spikes);
    const s = window.hybridspikePage;
    s.runs++;
    s.last = {
      source,
      pixels: Array.from(pixels),
      probabilities: Array.from(pred.probabilities),
      planes: Array.from(planes.data),
      spikeLayers: pred.spikes.map((x) => x.path),
      spikeCounts: pred.spikes.map((x) => x.data.reduce((a, b) => a + b, 0)),
    };
    setStatus('ready', `${source}: class ${pred.probabilities.indexOf(Math.max(...pred.probabilities))}`);
  };

  const open = async (bytes: Uint8Array, source: string) => {
    model = await loadModel(bytes);
    encoder = encoderOf(model.meta);
    window.hybridspikePage.provider = model.provider;
    showMeta(model, source);
    setStatus('ready', `Model ready (${source}). Draw a digit or pick a test image.`);
  };

  const fail = (e: unknown) => setStatus('error', (e as Error).message ?? String(e));

  try {
    const rt = await startTensorRuntime();
    window.hybridspikePage.tensorBackend = rt.backend;
    $('planes-note').textContent =
      `(live, @hybridspike/encoders on tfjs ${rt.backend})` +
      (rt.note ? ` -- wasm backend unavailable: ${rt.note}` : '');
    if (rt.note) console.warn(`[hybridspike] ${rt.note}`);
  } catch (e) {
    fail(e);
    return;
  }

  const pad = new DrawPad($<HTMLCanvasElement>('pad'), () => {
    if (model) run(fromDrawing(pad.pixels28(), model.inputShape), 'drawing').catch(fail);
  });
  $('clear').addEventListener('click', () => pad.clear());
  const select = $<HTMLSelectElement>('sample');
  select.addEventListener('change', () => {
    const i = Number(select.value);
    if (!samples || select.value === '') return;
    run(Uint8Array.from(samples.images[i]!), `test image ${i} (label ${samples.labels[i]})`).catch(fail);
  });
  $<HTMLInputElement>('model-file').addEventListener('change', (e) => {
    const file = (e.target as HTMLInputElement).files?.[0];
    if (!file) return;
    setStatus('loading', `Opening ${file.name}...`);
    file
      .arrayBuffer()
      .then((b) => open(new Uint8Array(b), file.name))
      .catch(fail);
  });

  // A model served beside the page (`pnpm web <folder>` serves one under model/).
  try {
    const res = await fetch('model/model.onnx');
    if (res.ok) {
      await open(new Uint8Array(await res.arrayBuffer()), 'model/model.onnx');
      const sres = await fetch('model/samples.json');
      if (sres.ok) {
        samples = (await sres.json()) as Samples;
        select.replaceChildren(
          new Option('(pick one)', ''),
          ...samples.labels.map((l, i) => new Option(`#${i}: a ${l}`, String(i))),
        );
      }
    } else setStatus('ready', 'No model is served with this page: open an exported .onnx file.');
  } catch (e) {
    fail(e);
  }
}
