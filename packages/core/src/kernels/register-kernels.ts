// Called by initRuntime() after the backends were imported (their stock kernels must be
// registered before we replace and keep them). Importing this file does nothing.
import {
  AvgPoolGrad,
  BatchMatMul,
  Identity,
  getKernel,
  registerKernel,
  unregisterKernel,
  type KernelConfig,
} from '@tensorflow/tfjs-core';
import { makeConv2DBackpropFilter } from './conv2d-backprop-filter.js';
import { makeConv2DBackpropInput } from './conv2d-backprop-input.js';
import { makeBatchMatMul } from './batch-mat-mul.js';
import { makeAvgPoolGrad } from './avg-pool-grad.js';
import { makeIdentity } from './identity.js';

/** The stock kernels we replace, kept so that tests can compare against them. */
export const stockKernels = new Map<string, KernelConfig>();

let registered = false;

/**
 * Registers our kernels once: the wasm conv gradients (tfjs-wasm has no filter gradient and a slow
 * input gradient), the cpu filter gradient, the wasm BatchMatMul with transposed operands, and
 * the wasm AvgPoolGrad of non-overlapping windows, and a wasm Identity that shares data.
 * Every stock kernel replaced is kept in {@link stockKernels} and named once on stderr.
 */
export function registerKernels(): void {
  if (registered) return;
  registered = true;
  // cpu keeps its stock input gradient: measured faster there than the composed one (bench/kernels.ts).
  const configs: KernelConfig[] = [
    makeConv2DBackpropFilter('wasm'),
    makeConv2DBackpropInput('wasm'),
    makeConv2DBackpropFilter('cpu'),
  ];
  const wasmMatMul = getKernel(BatchMatMul, 'wasm');
  if (wasmMatMul) configs.push(makeBatchMatMul('wasm', wasmMatMul));
  const wasmAvgPoolGrad = getKernel(AvgPoolGrad, 'wasm');
  if (wasmAvgPoolGrad) configs.push(makeAvgPoolGrad(wasmAvgPoolGrad));
  const wasmIdentity = getKernel(Identity, 'wasm');
  if (wasmIdentity) configs.push(makeIdentity(wasmIdentity));
  const replaced: string[] = [];
  for (const config of configs) {
    const stock = getKernel(config.kernelName, config.backendName);
    if (stock) {
      stockKernels.set(`${config.kernelName}/${config.backendName}`, stock);
      unregisterKernel(config.kernelName, config.backendName);
      replaced.push(`${config.kernelName}/${config.backendName}`);
    }
    registerKernel(config);
  }
  if (replaced.length && typeof process !== 'undefined' && !process.env?.HYBRIDSPIKE_QUIET) {
    console.error(`[hybridspike] replaced tfjs kernels with faster ones: ${replaced.join(', ')}`);
  }
}
