import { type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';

/**
 * Identity on wasm without a copy: tensors are immutable, so the output shares the input's data
 * (one more reference), as the cpu backend does. tfjs-wasm copies, and tfjs clones every tensor a
 * gradient saves through Identity: hundreds of copies per training step.
 */
export function makeIdentity(stock: KernelConfig): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const x = (args.inputs as unknown as { x: TensorInfo }).x;
    if (x.dtype === 'string') return stock.kernelFunc(args);
    (args.backend as unknown as { incRef(dataId: object): void }).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  };
  return { ...stock, kernelFunc };
}
