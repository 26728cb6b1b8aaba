// Registers the model zoo (`model:has8Vgg`, `model:has8ResNet`) in the core registry, with the
// models' own option schemas.
import { registerOnce } from '@hybridspike/core';
import { z } from 'zod';
import { has8ResNet, has8ResNetOptions, RESNET_PRESETS } from './models/has8-resnet.js';
import { has8Vgg, has8VggOptions } from './models/has8-vgg.js';

registerOnce({
  kind: 'model',
  name: 'has8Vgg',
  description: 'HAS-8-VGG (b16/b24 presets via base)',
  options: has8VggOptions,
  create: (o: z.output<typeof has8VggOptions>) => has8Vgg(o),
});

const resnetOptions = has8ResNetOptions.extend({
  /** Named depth: sets `layers` and `block` (see RESNET_PRESETS). */
  preset: z
    .enum(Object.keys(RESNET_PRESETS) as [keyof typeof RESNET_PRESETS, ...(keyof typeof RESNET_PRESETS)[]])
    .optional(),
});

registerOnce({
  kind: 'model',
  name: 'has8ResNet',
  description: 'HAS-8-ResNet (18/34 basic, 50 bottleneck; base 32 or 64)',
  options: resnetOptions,
  create: (o: z.output<typeof resnetOptions>) => has8ResNet(o),
});
