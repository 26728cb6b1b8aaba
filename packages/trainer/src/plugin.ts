// Registers optimisers (`optimizer:adam|adamw|sgd`) and schedules (`schedule:*`).
import { registerOnce } from '@hybridspike/core';
import { z } from 'zod';
import { Adam, AdamW, adamOptions, SGD, sgdOptions, type Optimizer } from './optimizers.js';
import { makeSchedule, type Schedule } from './schedules.js';

declare module '@hybridspike/core' {
  interface ComponentKinds {
    optimizer: Optimizer;
    schedule: (epochs: number) => Schedule;
  }
}

registerOnce({ kind: 'optimizer', name: 'adam', options: adamOptions, create: (o) => new Adam(o) });
registerOnce({ kind: 'optimizer', name: 'adamw', options: adamOptions, create: (o) => new AdamW(o) });
registerOnce({ kind: 'optimizer', name: 'sgd', options: sgdOptions, create: (o) => new SGD(o) });
registerOnce({
  kind: 'schedule',
  name: 'constant',
  options: z.object({}),
  create: () => (epochs: number) => makeSchedule({ name: 'constant' }, epochs),
});
registerOnce({
  kind: 'schedule',
  name: 'step',
  options: z.object({ stepSize: z.number().int().positive(), gamma: z.number().positive().default(0.1) }),
  create: (o) => (epochs: number) => makeSchedule({ name: 'step', ...o }, epochs),
});
registerOnce({
  kind: 'schedule',
  name: 'warmupCosine',
  options: z.object({ warmup: z.number().int().min(0).default(5), minLr: z.number().min(0).default(0) }),
  create: (o) => (epochs: number) => makeSchedule({ name: 'warmupCosine', ...o }, epochs),
});
