import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { Registry } from './registry.js';

function make(): Registry {
  const r = new Registry();
  r.register({
    kind: 'surrogate',
    name: 'atan',
    options: z.object({ alpha: z.number().positive().default(2) }),
    create: (o) => ({ alpha: o.alpha }),
  });
  return r;
}

describe('Registry', () => {
  it('builds a component by name with defaults and given options', () => {
    const r = make();
    expect(r.create('surrogate', 'atan')).toEqual({ alpha: 2 });
    expect(r.create('surrogate', { name: 'atan', alpha: 3 })).toEqual({ alpha: 3 });
  });

  it('lists the registered names on an unknown name', () => {
    expect(() => make().create('surrogate', 'nope')).toThrow(
      /unknown surrogate 'nope'. Registered surrogates: atan/,
    );
  });

  it('names the bad or unknown option', () => {
    const r = make();
    expect(() => r.create('surrogate', { name: 'atan', alpha: -1 })).toThrow(/option 'alpha'/);
    expect(() => r.create('surrogate', { name: 'atan', alhpa: 1 })).toThrow(/alhpa/);
  });

  it('refuses a duplicate name', () => {
    const r = make();
    expect(() =>
      r.register({ kind: 'surrogate', name: 'atan', options: z.object({}), create: () => 1 }),
    ).toThrow(/already registered/);
  });
});
