// Node only (imported by runtime.ts behind a Node check): tfjs-wasm's threaded SIMD build under
// Node. Stock tfjs never uses it there: its flag WASM_HAS_MULTITHREAD_SUPPORT is false under Node,
// and its pthread workers would start from `blob:` URLs, which Node's worker_threads refuse
// (ERR_WORKER_PATH). Here the same Emscripten module starts with file paths instead, and the
// stock BackendWasm (same kernels, same XNNPACK) wraps it.
import * as tf from '@tensorflow/tfjs-core';
import { createHash } from 'node:crypto';
import { existsSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

interface EmscriptenThreadedModule {
  cwrap(name: string, ret: string | null, args: string[]): (...a: number[]) => number;
  PThread: { unusedWorkers: { terminate(): void; unref(): void }[]; runningWorkers: { unref(): void }[] };
  tfjs?: Record<string, unknown>;
}

/** Every core this process may use. */
export function nodeCores(): number {
  return Math.max(1, os.availableParallelism?.() ?? os.cpus().length);
}

/** The pthread worker script as a CommonJS file (it `require`s), written once per content. */
function workerFile(pkgDir: string): string {
  const { wasmWorkerContents } = require(
    join(pkgDir, 'wasm-out/tfjs-backend-wasm-threaded-simd.worker.js'),
  ) as {
    wasmWorkerContents: string;
  };
  // tfjs escapes newlines the same way before making its Blob: the source holds "\n" in strings.
  const source = wasmWorkerContents.replace(/\n/g, '\\n');
  const hash = createHash('sha256').update(source).digest('hex').slice(0, 16);
  const file = join(os.tmpdir(), `hybridspike-tfjs-wasm-worker-${hash}.cjs`);
  if (!existsSync(file)) {
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, source);
    renameSync(tmp, file);
  }
  return file;
}

/** Starts the threaded SIMD module with `threads` XNNPACK threads (the caller's thread included). */
async function startThreaded(threads: number): Promise<EmscriptenThreadedModule> {
  const pkgDir = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
  const mainScript = join(pkgDir, 'wasm-out/tfjs-backend-wasm-threaded-simd.js');
  const factory = require(mainScript) as (cfg: object) => Promise<EmscriptenThreadedModule>;
  const worker = workerFile(pkgDir);
  // The module caps its pool at (logical cores / 2), read from os.cpus() while it starts (it
  // assumes two hyperthreads per core): report 2 x threads for that moment, so the count asked for
  // is the count used.
  const cpus = os.cpus;
  const mutableOs = require('node:os') as { cpus: typeof os.cpus };
  mutableOs.cpus = () => Array.from({ length: 2 * threads }, () => cpus()[0]!);
  let module: EmscriptenThreadedModule;
  try {
    module = await factory({
      locateFile: (path: string) => (path.endsWith('.worker.js') ? worker : join(pkgDir, 'wasm-out', path)),
      mainScriptUrlOrBlob: mainScript,
    });
  } finally {
    mutableOs.cpus = cpus;
  }
  module.tfjs = {
    init: module.cwrap('init', null, []),
    initWithThreadsCount: module.cwrap('init_with_threads_count', null, ['number']),
    getThreadsCount: module.cwrap('get_threads_count', 'number', []),
    registerTensor: module.cwrap('register_tensor', null, ['number', 'number', 'number']),
    disposeData: module.cwrap('dispose_data', null, ['number']),
    dispose: module.cwrap('dispose', null, []),
  };
  return module;
}

/**
 * Re-registers tfjs's `wasm` backend so that it starts the threaded SIMD build with `threads`
 * threads. Must run before the wasm backend is first started. If the threaded module cannot
 * start, the stock single-threaded backend starts instead and `onFallback` says why.
 */
export async function registerThreadedWasm(
  threads: number,
  onFallback: (why: string) => void,
): Promise<void> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  const stock = tf.engine().registryFactory.wasm;
  if (!stock) return;
  tf.removeBackend('wasm');
  tf.registerBackend(
    'wasm',
    async () => {
      try {
        wasm.setThreadsCount(threads);
        const module = await startThreaded(threads);
        const backend = new wasm.BackendWasm(module as never);
        const P = module.PThread;
        // Workers the pool did not take are not needed; the pool's own must not keep Node alive.
        for (const w of P.unusedWorkers) w.terminate();
        P.unusedWorkers.length = 0;
        for (const w of P.runningWorkers) w.unref();
        return backend;
      } catch (e) {
        onFallback((e as Error).message ?? String(e));
        wasm.setThreadsCount(1);
        return stock.factory();
      }
    },
    stock.priority,
  );
}
