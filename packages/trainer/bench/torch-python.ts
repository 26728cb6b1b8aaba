import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The PyTorch re-implementation of has8Vgg the benches run beside ours. */
export const TORCH_SCRIPT = fileURLToPath(new URL('./torch_has8vgg.py', import.meta.url));

/**
 * A python3 that imports torch: `HYBRIDSPIKE_PYTHON`, else `python3`, else Debian's
 * `/usr/bin/python3` (where python3-torch lives, and which a pyenv or venv python3 may shadow).
 */
export function findTorchPython(): string | undefined {
  return [process.env.HYBRIDSPIKE_PYTHON, 'python3', '/usr/bin/python3'].find(
    (p): p is string => !!p && spawnSync(p, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0,
  );
}
