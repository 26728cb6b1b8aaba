import * as tf from '@tensorflow/tfjs-core';
import { HybridSpikeError } from './errors.js';

/** A tensor backend hybridspike can run on. */
export type BackendName = 'node' | 'wasm' | 'cpu';

const TF_NAME: Record<BackendName, string> = { node: 'tensorflow', wasm: 'wasm', cpu: 'cpu' };

/** Options of {@link initRuntime}. */
export interface RuntimeOptions {
  /** Force a backend; defaults to `HYBRIDSPIKE_BACKEND`, else the fastest that loads. */
  backend?: BackendName;
  /** Print the chosen backend to stderr (default false). */
  verbose?: boolean;
  /**
   * Where the wasm backend's `.wasm` files are served from (a URL prefix ending in `/`, or a map
   * of file names to URLs), for bundled browser apps; passed to tfjs's `setWasmPaths`.
   */
  wasmPaths?: string | Record<string, string>;
  /**
   * Threads of the wasm backend's kernels (XNNPACK) under Node, 1 to 8; defaults to
   * `HYBRIDSPIKE_THREADS`, else every core (at most 8). 1 runs tfjs's stock single-threaded build. Only the first `initRuntime` call
   * sets it (the wasm module starts once per process). Browsers use tfjs's own choice.
   */
  threads?: number;
  /**
   * Which kernels run the convolutions on the wasm backend under Node: `native` (oneDNN through
   * `@hybridspike/native`, an error when it cannot load) or `wasm` (XNNPACK and our SIMD kernels).
   * Defaults to `HYBRIDSPIKE_KERNELS`, else native where the addon was built, else wasm. Only the
   * first `initRuntime` call decides.
   */
  kernels?: KernelPath;
}

/** The two compute paths of the wasm backend. */
export type KernelPath = 'wasm' | 'native';

/** What {@link initRuntime} started. */
export interface RuntimeInfo {
  backend: BackendName;
  /** Threads the backend's kernels use (the wasm backend's XNNPACK pool; 1 on cpu). */
  threads: number;
  /**
   * What runs the convolutions: `onednn-<version>` (native kernels), `wasm-simd` (XNNPACK and
   * our SIMD kernels), or the backend's own (`cpu`, `tfjs-node`).
   */
  kernels: string;
}

let current: BackendName | undefined;
/** Why each backend module could not be imported (absent optional peers). */
const missing = new Map<BackendName, string>();
let prepared: Promise<void> | null = null;
/** The `wasmPaths` the wasm backend was set up with (the first `initRuntime` call's). */
let preparedWasmPaths: RuntimeOptions['wasmPaths'];

/** Why the wasm backend may not have started, naming where its binaries were looked for. */
function wasmHint(wasmPaths: RuntimeOptions['wasmPaths']): string {
  const files = 'tfjs-backend-wasm.wasm, tfjs-backend-wasm-simd.wasm, tfjs-backend-wasm-threaded-simd.wasm';
  if (typeof wasmPaths === 'string')
    return ` Its binaries could not be fetched from '${wasmPaths}' (one of ${files}): serve the .wasm files of @tensorflow/tfjs-backend-wasm/dist/ at that URL prefix.`;
  if (wasmPaths)
    return ` Its binaries could not be fetched from the URLs in wasmPaths (${Object.values(wasmPaths).join(', ')}).`;
  return ` Its .wasm files could not be loaded: in a bundled app, serve ${files} (from @tensorflow/tfjs-backend-wasm/dist/) and pass initRuntime({ wasmPaths: '<their URL prefix>/' }).`;
}

/**
 * Everything importing `@hybridspike/core` used to do, done once on the first `initRuntime()`:
 * the cpu and wasm backends (optional peers: an absent one is just unavailable), tfjs's gradient
 * bundle, and our kernels (logged once by name where they replace stock ones).
 */
const isNode = typeof process !== 'undefined' && typeof process.versions?.node === 'string';

/** tfjs-wasm's threaded build starts a pool of 8 workers and never uses more. */
export const MAX_THREADS = 8;

/** Threads asked for: the option, else `HYBRIDSPIKE_THREADS`; undefined: every core. */
function threadsWanted(option: number | undefined): number | undefined {
  const raw = option ?? (isNode ? process.env.HYBRIDSPIKE_THREADS : undefined);
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > MAX_THREADS)
    throw new HybridSpikeError(
      'BAD_ARGUMENT',
      `${option !== undefined ? 'initRuntime({ threads })' : 'HYBRIDSPIKE_THREADS'} must be an integer from 1 to ${MAX_THREADS} (the wasm backend's thread pool holds ${MAX_THREADS}), got '${raw}'.`,
    );
  return n;
}

function kernelsWanted(option: KernelPath | undefined): KernelPath | undefined {
  const raw = option ?? (isNode ? process.env.HYBRIDSPIKE_KERNELS : undefined);
  if (raw === undefined || raw === '') return undefined;
  if (raw === 'wasm' || raw === 'native') return raw;
  throw new HybridSpikeError(
    'BAD_ARGUMENT',
    `${option !== undefined ? 'initRuntime({ kernels })' : 'HYBRIDSPIKE_KERNELS'} must be 'wasm' or 'native', got '${raw}'.`,
  );
}

/** The native kernels' state once prepared: enabled (their name) or why not. */
let native: { kernels: string; line: string } | { why: string } = { why: 'not tried' };
let kernelPath: KernelPath | undefined;

let threadedFallback: string | undefined;
/** Threads the process runs with (Node: the option or every core), fixed by the first init. */
let processThreads = 1;

function prepare(
  wasmPaths: RuntimeOptions['wasmPaths'],
  threads: number | undefined,
  kernels: KernelPath | undefined,
): Promise<void> {
  if (!prepared) {
    preparedWasmPaths = wasmPaths;
    kernelPath = kernels;
  }
  prepared ??= (async () => {
    try {
      await import('@tensorflow/tfjs-backend-cpu');
    } catch (e) {
      missing.set('cpu', (e as Error).message);
    }
    try {
      const wasm = await import('@tensorflow/tfjs-backend-wasm');
      if (wasmPaths) wasm.setWasmPaths(wasmPaths as never);
      if (isNode) {
        try {
          // Hidden from bundlers: a Node-only module (fs, worker files) browsers never load.
          const spec = './wasm-threads.js';
          const mod = (await import(/* @vite-ignore */ spec)) as typeof import('./wasm-threads.js');
          processThreads = threads ?? Math.min(MAX_THREADS, mod.nodeCores());
          if (processThreads > 1)
            await mod.registerThreadedWasm(processThreads, (why) => (threadedFallback = why));
        } catch (e) {
          // e.g. a bundle without the module beside it: the stock single-threaded build runs.
          processThreads = 1;
          threadedFallback = (e as Error).message;
        }
      }
    } catch (e) {
      missing.set('wasm', (e as Error).message);
    }
    // tfjs-core ships its gradients unregistered (and as ESM Node cannot import): our bundle.
    await import('./vendor/tfjs-gradients.js');
    const { registerKernels } = await import('./kernels/register-kernels.js');
    registerKernels();
    if (isNode && !missing.has('wasm') && kernelPath !== 'wasm') native = await registerNative();
  })();
  return prepared;
}

/** The optional `@hybridspike/native` addon's kernels over ours, or why they are not there. */
async function registerNative(): Promise<typeof native> {
  try {
    // Optional peer dependency, hidden from bundlers (a Node addon).
    const spec = '@hybridspike/native';
    const mod = (await import(/* @vite-ignore */ spec)) as typeof import('@hybridspike/native');
    const { tfjsHeap } = await import('./simd/heap.js');
    const s = mod.registerNativeKernels({ heap: tfjsHeap, threads: processThreads });
    if (!s.enabled) return { why: s.why };
    return {
      kernels: s.kernels,
      line: `${s.kernels} (${s.isa}, ${s.threads} thread${s.threads > 1 ? 's' : ''}) for ${s.replaced.map((r) => r.split('/')[0]).join(', ')}`,
    };
  } catch (e) {
    return { why: `@hybridspike/native is not installed (${(e as Error).message.split('\n')[0]})` };
  }
}

async function tryNode(): Promise<boolean> {
  try {
    // Optional peer dependency: absent on machines that cannot download libtensorflow.
    const spec = '@tensorflow/tfjs-node';
    await import(/* @vite-ignore */ spec);
    return tf.findBackend('tensorflow') !== null || tf.engine().registryFactory.tensorflow !== undefined;
  } catch {
    return false;
  }
}

async function activate(name: BackendName): Promise<boolean> {
  if (name === 'node' && !(await tryNode())) return false;
  if (missing.has(name)) return false;
  const hooked = ['uncaughtException', 'unhandledRejection'];
  const before =
    typeof process !== 'undefined' && process.listeners
      ? hooked.map((e) => process.listeners(e as 'uncaughtException'))
      : null;
  try {
    return await tf.setBackend(TF_NAME[name]);
  } catch {
    return false;
  } finally {
    // The wasm backend's Emscripten module installs handlers that rethrow from inside its own
    // bundle (and exit 7): a user's uncaught error must surface as itself, with Node's exit 1.
    if (before) {
      hooked.forEach((e, i) => {
        for (const l of process.listeners(e as 'uncaughtException'))
          if (!before[i]!.includes(l)) process.removeListener(e, l);
      });
    }
  }
}

function envBackend(): BackendName | undefined {
  const raw = typeof process !== 'undefined' ? process.env?.HYBRIDSPIKE_BACKEND : undefined;
  if (raw === undefined || raw === '') return undefined;
  if (raw === 'node' || raw === 'wasm' || raw === 'cpu') return raw;
  throw new HybridSpikeError(
    'BAD_ARGUMENT',
    `HYBRIDSPIKE_BACKEND='${raw}' is not a backend; use one of node, wasm, cpu (or unset it).`,
  );
}

/**
 * Chooses and starts the tensor backend: `@tensorflow/tfjs-node` when it loads, else the
 * wasm backend (XNNPACK), else the pure-JS cpu backend. `HYBRIDSPIKE_BACKEND` or
 * `options.backend` forces one, and a forced backend that cannot start is an error.
 *
 * @example
 * ```ts
 * const { backend } = await initRuntime();   // 'wasm' on a machine without tfjs-node
 * ```
 */
export async function initRuntime(options: RuntimeOptions = {}): Promise<RuntimeInfo> {
  const forced = options.backend ?? envBackend();
  await prepare(options.wasmPaths, threadsWanted(options.threads), kernelsWanted(options.kernels));
  if (forced !== undefined) {
    if (!(TF_NAME as Record<string, string>)[forced]) {
      throw new HybridSpikeError('BAD_ARGUMENT', `backend '${forced}' is not one of node, wasm, cpu.`);
    }
    if (!(await activate(forced))) {
      const pkg = {
        node: '@tensorflow/tfjs-node',
        wasm: '@tensorflow/tfjs-backend-wasm',
        cpu: '@tensorflow/tfjs-backend-cpu',
      }[forced];
      const hint = missing.has(forced)
        ? ` ${pkg} is not installed (npm install ${pkg}@4.22.0).`
        : forced === 'node'
          ? ' Install @tensorflow/tfjs-node (needs libtensorflow) or use wasm.'
          : forced === 'wasm'
            ? wasmHint(options.wasmPaths ?? preparedWasmPaths)
            : '';
      throw new HybridSpikeError('BACKEND_UNAVAILABLE', `backend '${forced}' could not be started.${hint}`);
    }
    current = forced;
  } else {
    const picked = await pickBackend(activate);
    current = picked.backend;
    if (options.verbose && picked.skipped.length) {
      const why = (n: BackendName) =>
        missing.has(n)
          ? 'not installed'
          : n === 'node'
            ? 'tfjs-node not installed or libtensorflow missing'
            : 'failed to start';
      console.error(
        `[hybridspike] skipped backends: ${picked.skipped.map((n) => `${n} (${why(n)})`).join(', ')}`,
      );
    }
  }
  await tf.ready();
  const threads = await backendThreads(current);
  if (threadedFallback && current === 'wasm') {
    console.error(
      `[hybridspike] threaded wasm backend failed to start (${threadedFallback}); running on 1 thread (HYBRIDSPIKE_THREADS=1 asks for that and silences this line)`,
    );
    threadedFallback = undefined;
  }
  const kernels = kernelsOf(current);
  if (kernelPath === 'native' && 'why' in native)
    throw new HybridSpikeError(
      'BACKEND_UNAVAILABLE',
      `HYBRIDSPIKE_KERNELS=native, but the native kernels are unavailable: ${native.why}.`,
    );
  if (kernelPath === 'native' && current !== 'wasm')
    throw new HybridSpikeError(
      'BACKEND_UNAVAILABLE',
      `the native kernels run under the wasm backend, not '${current}'; unset HYBRIDSPIKE_KERNELS or use the wasm backend.`,
    );
  if ('line' in native && current === 'wasm' && !nativeAnnounced && !process.env?.HYBRIDSPIKE_QUIET) {
    nativeAnnounced = true;
    console.error(`[hybridspike] native kernels: ${native.line}`);
  }
  if (options.verbose)
    console.error(`[hybridspike] tensor backend: ${current}, ${threads} thread(s), kernels ${kernels}`);
  return { backend: current, threads, kernels };
}

let nativeAnnounced = false;

/** The name of what runs the heavy kernels on `backend` (see {@link RuntimeInfo.kernels}). */
function kernelsOf(backend: BackendName): string {
  if (backend === 'node') return 'tfjs-node';
  if (backend === 'cpu') return 'cpu';
  return 'kernels' in native ? native.kernels : 'wasm-simd';
}

/** What runs the heavy kernels now: `onednn-<version>`, `wasm-simd`, `cpu` or `tfjs-node`. */
export function currentKernels(): string {
  return kernelsOf(currentBackend());
}

async function backendThreads(backend: BackendName): Promise<number> {
  if (backend !== 'wasm') return backend === 'cpu' ? 1 : processThreads;
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  return wasm.getThreadsCount();
}

/** The automatic preference order: fastest first. */
export const BACKEND_ORDER: readonly BackendName[] = ['node', 'wasm', 'cpu'];

/**
 * The first backend of {@link BACKEND_ORDER} that `start` can start, and the ones skipped
 * before it. Throws when none starts.
 */
export async function pickBackend(
  start: (name: BackendName) => Promise<boolean>,
): Promise<{ backend: BackendName; skipped: BackendName[] }> {
  const skipped: BackendName[] = [];
  for (const name of BACKEND_ORDER) {
    if (await start(name)) return { backend: name, skipped };
    skipped.push(name);
  }
  throw new HybridSpikeError(
    'BACKEND_UNAVAILABLE',
    `no tensor backend could be started (tried ${BACKEND_ORDER.join(', ')}). Install one beside ` +
      '@tensorflow/tfjs-core, at its version: npm install @tensorflow/tfjs-backend-wasm@4.22.0 ' +
      '(Node and browsers), or @tensorflow/tfjs-node (Node, needs libtensorflow).',
  );
}

/** The backend {@link initRuntime} chose; throws when the runtime was not started. */
export function currentBackend(): BackendName {
  if (current === undefined || TF_NAME[current] !== tf.getBackend()) {
    const active = tf.getBackend();
    const back = (Object.keys(TF_NAME) as BackendName[]).find((k) => TF_NAME[k] === active);
    if (back) return back;
    throw new HybridSpikeError(
      'BACKEND_UNAVAILABLE',
      'the runtime is not started: call `await initRuntime()` first.',
    );
  }
  return current;
}
