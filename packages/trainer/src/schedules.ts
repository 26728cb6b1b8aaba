import { z } from 'zod';

/** Learning rate of an epoch (0-based) from the base rate. */
export type Schedule = (epoch: number, baseLr: number) => number;

/** The same rate every epoch. */
export const constant = (): Schedule => (_e, lr) => lr;

/** `lr * gamma^floor(epoch / stepSize)` (torch StepLR stepped per epoch). */
export function stepDecay(stepSize: number, gamma = 0.1): Schedule {
  return (e, lr) => lr * gamma ** Math.floor(e / stepSize);
}

/**
 * Linear warmup from `lr / warmup` to `lr` over `warmup` epochs, then cosine annealing to
 * `minLr` at `epochs` (the authors' ImageNet recipe: warmup 5 then cosine).
 */
export function warmupCosine(epochs: number, warmup = 5, minLr = 0): Schedule {
  return (e, lr) => {
    if (e < warmup) return (lr * (e + 1)) / warmup;
    const span = Math.max(1, epochs - warmup);
    return minLr + 0.5 * (lr - minLr) * (1 + Math.cos((Math.PI * (e - warmup)) / span));
  };
}

/** Options of each schedule, by name: the one definition the union and the registry use. */
export const scheduleOptionsByName = {
  constant: z.object({}),
  step: z.object({ stepSize: z.number().int().positive(), gamma: z.number().positive().default(0.1) }),
  warmupCosine: z.object({ warmup: z.number().int().min(0).default(5), minLr: z.number().min(0).default(0) }),
} as const;

/** Schema of a schedule config: `{ name: 'constant' | 'step' | 'warmupCosine', ...its options }`. */
export const scheduleOptions = z.discriminatedUnion('name', [
  scheduleOptionsByName.constant.extend({ name: z.literal('constant') }).strict(),
  scheduleOptionsByName.step.extend({ name: z.literal('step') }).strict(),
  scheduleOptionsByName.warmupCosine.extend({ name: z.literal('warmupCosine') }).strict(),
]);
/** A schedule by name with its options, as a sweep file writes it. */
export type ScheduleConfig = z.input<typeof scheduleOptions>;

/** Builds a schedule from its config for a run of `epochs` epochs. */
export function makeSchedule(config: ScheduleConfig, epochs: number): Schedule {
  const c = scheduleOptions.parse(config);
  if (c.name === 'step') return stepDecay(c.stepSize, c.gamma);
  if (c.name === 'warmupCosine') return warmupCosine(epochs, c.warmup, c.minLr);
  return constant();
}
