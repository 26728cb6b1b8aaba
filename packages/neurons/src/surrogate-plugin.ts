// Registers the built-in surrogates (`surrogate:*`); neurons resolve names through the registry.
import { registerOnce } from '@hybridspike/core';
import { z } from 'zod';
import { atan, fastSigmoid, sigmoid, triangle } from './surrogates.js';

const positive = (d: number) => z.number().positive().default(d);
registerOnce({
  kind: 'surrogate',
  name: 'atan',
  options: z.object({ alpha: positive(2) }),
  create: (o) => atan(o.alpha),
});
registerOnce({
  kind: 'surrogate',
  name: 'sigmoid',
  options: z.object({ alpha: positive(4) }),
  create: (o) => sigmoid(o.alpha),
});
registerOnce({
  kind: 'surrogate',
  name: 'fastSigmoid',
  options: z.object({ slope: positive(25) }),
  create: (o) => fastSigmoid(o.slope),
});
registerOnce({
  kind: 'surrogate',
  name: 'triangle',
  options: z.object({ width: positive(1) }),
  create: (o) => triangle(o.width),
});
