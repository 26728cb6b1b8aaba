// Parameter counts of the has8ResNet presets (3 input channels, 10 classes), hybrid and twins.
import { initRuntime } from '@hybridspike/core';
import { has8ResNet } from '../src/index.js';

await initRuntime({ backend: 'cpu' });
for (const base of [32, 64]) {
  for (const preset of ['resnet18', 'resnet34', 'resnet50'] as const) {
    const counts = (['hybrid', 'ann', 'snn'] as const).map((branch) => {
      const m = has8ResNet({ inChannels: 3, numClasses: 10, base, preset, branch });
      const n = m.parameterCount();
      m.dispose();
      return n;
    });
    console.log(
      `b${base} ${preset}: hybrid ${counts[0]!.toLocaleString('en')}, ann ${counts[1]!.toLocaleString('en')}, snn ${counts[2]!.toLocaleString('en')}`,
    );
  }
}
