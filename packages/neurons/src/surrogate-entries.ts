// The built-in surrogates as registry entries (data, no side effect): the neuron option
// `surrogate: 'atan'` resolves from them; the plugin entry registers them.
import type { ComponentEntry } from '@hybridspike/core';
import { z } from 'zod';
import { atan, fastSigmoid, sigmoid, triangle } from './surrogates.js';

const positive = (d: number) => z.number().positive().default(d);

/** `surrogate:*` of this package. */
export const SURROGATE_ENTRIES: readonly ComponentEntry[] = [
  {
    kind: 'surrogate',
    name: 'atan',
    options: z.object({ alpha: positive(2) }),
    create: (o: { alpha: number }) => atan(o.alpha),
  },
  {
    kind: 'surrogate',
    name: 'sigmoid',
    options: z.object({ alpha: positive(4) }),
    create: (o: { alpha: number }) => sigmoid(o.alpha),
  },
  {
    kind: 'surrogate',
    name: 'fastSigmoid',
    options: z.object({ slope: positive(25) }),
    create: (o: { slope: number }) => fastSigmoid(o.slope),
  },
  {
    kind: 'surrogate',
    name: 'triangle',
    options: z.object({ width: positive(1) }),
    create: (o: { width: number }) => triangle(o.width),
  },
];
