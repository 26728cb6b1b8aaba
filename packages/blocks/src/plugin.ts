// Registers the model zoo (`model:has8Vgg`, `model:has8ResNet`) in the core registry.
import { registerOnce, componentRefSchema } from '@hybridspike/core';
import { z } from 'zod';
import { has8ResNet } from './models/has8-resnet.js';
import { has8Vgg } from './models/has8-vgg.js';

const ref = componentRefSchema;
const common = {
  inChannels: z.number().int().positive(),
  numClasses: z.number().int().min(2),
  branch: z.enum(['hybrid', 'ann', 'snn']).default('hybrid'),
  seed: z.number().int().default(0),
  encoder: ref.optional(),
  decoder: ref.optional(),
  neuron: ref.optional(),
  snnTwin: z.enum(['end-to-end', 'layerwise']).optional(),
};

registerOnce({
  kind: 'model',
  name: 'has8Vgg',
  description: 'HAS-8-VGG (b16/b24 presets via base)',
  options: z.object({
    ...common,
    base: z.number().int().positive().default(16),
    multiplier: z.number().int().positive().default(2),
    depth: z.number().int().min(0).default(4),
    hidden: z.tuple([z.number().int().positive(), z.number().int().positive()]).optional(),
  }),
  create: (o) => has8Vgg(o as never),
});

registerOnce({
  kind: 'model',
  name: 'has8ResNet',
  description: 'HAS-8-ResNet (18/34 basic, 50 bottleneck; base 32 or 64)',
  options: z.object({
    ...common,
    base: z.number().int().positive().default(32),
    preset: z.enum(['resnet18', 'resnet34', 'resnet50']).optional(),
    layers: z.array(z.number().int().positive()).optional(),
    block: z.enum(['basic', 'bottleneck']).optional(),
  }),
  create: (o) => has8ResNet(o as never),
});
