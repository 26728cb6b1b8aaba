// Registers optimisers (`optimizer:adam|adamw|sgd`) and schedules (`schedule:*`).
import { registerOnce } from '@hybridspike/core';
import { Adam, AdamW, adamOptions, SGD, sgdOptions, type Optimizer } from './optimizers.js';
import { makeSchedule, scheduleOptionsByName, type Schedule, type ScheduleConfig } from './schedules.js';

declare module '@hybridspike/core' {
  interface ComponentKinds {
    optimizer: Optimizer;
    schedule: (epochs: number) => Schedule;
  }
}

registerOnce({ kind: 'optimizer', name: 'adam', options: adamOptions, create: (o) => new Adam(o) });
registerOnce({ kind: 'optimizer', name: 'adamw', options: adamOptions, create: (o) => new AdamW(o) });
registerOnce({ kind: 'optimizer', name: 'sgd', options: sgdOptions, create: (o) => new SGD(o) });
for (const [name, options] of Object.entries(scheduleOptionsByName)) {
  registerOnce({
    kind: 'schedule',
    name,
    options,
    create: (o) => (epochs: number) => makeSchedule({ name, ...o } as ScheduleConfig, epochs),
  });
}
