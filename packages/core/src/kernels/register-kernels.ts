// The stock kernels must be registered before we replace (and keep) them.
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { BatchMatMul, getKernel, registerKernel, unregisterKernel, type KernelConfig } from '@tensorflow/tfjs-core';
import { makeConv2DBackpropFilter } from './conv2d-backprop-filter.js';
import { makeConv2DBackpropInput } from './conv2d-backprop-input.js';
import { makeBatchMatMul } from './batch-mat-mul.js';

/** The stock kernels we replace, kept so that tests can compare against them. */
export const stockKernels = new Map<string, KernelConfig>();

// cpu keeps its stock input gradient: measured faster there than the composed one (bench/kernels.ts).
const configs: KernelConfig[] = [
  makeConv2DBackpropFilter('wasm'),
  makeConv2DBackpropInput('wasm'),
  makeConv2DBackpropFilter('cpu'),
];
const wasmMatMul = getKernel(BatchMatMul, 'wasm');
if (wasmMatMul) configs.push(makeBatchMatMul('wasm', wasmMatMul));

for (const config of configs) {
  const stock = getKernel(config.kernelName, config.backendName);
  if (stock) {
    stockKernels.set(`${config.kernelName}/${config.backendName}`, stock);
    unregisterKernel(config.kernelName, config.backendName);
  }
  registerKernel(config);
}
