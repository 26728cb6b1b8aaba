import { HybridSpikeError } from './errors.js';

/**
 * Seeded random stream (sfc32, seeded through splitmix32): fast, 128-bit state that can be
 * saved and restored, so a resumed run draws the same numbers as an uninterrupted one.
 */
export class Rng {
  private s: Uint32Array;
  private spare: number | undefined;

  constructor(seed: number | string) {
    let h = typeof seed === 'number' ? seed >>> 0 : hashString(seed);
    if (typeof seed === 'number' && !Number.isFinite(seed)) {
      throw new HybridSpikeError('BAD_ARGUMENT', `seed must be a finite number or a string, got ${seed}.`);
    }
    this.s = new Uint32Array(4);
    for (let i = 0; i < 4; i++) {
      h = (h + 0x9e3779b9) >>> 0;
      let z = h;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      this.s[i] = (z ^ (z >>> 16)) >>> 0;
    }
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  /** A child stream whose numbers do not depend on how many draws this one made later. */
  fork(label: string): Rng {
    return new Rng(`${this.s.join(',')}/${label}`);
  }

  /** The next 32-bit unsigned integer of the stream (xoshiro128**). */
  nextUint32(): number {
    const s = this.s;
    const t = (((s[0]! + s[1]!) >>> 0) + s[3]!) >>> 0;
    s[3] = (s[3]! + 1) >>> 0;
    s[0] = s[1]! ^ (s[1]! >>> 9);
    s[1] = (s[2]! + (s[2]! << 3)) >>> 0;
    s[2] = ((s[2]! << 21) | (s[2]! >>> 11)) >>> 0;
    s[2] = (s[2]! + t) >>> 0;
    return t;
  }

  /** Uniform in [0, 1). */
  uniform(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Standard normal (Box-Muller). */
  normal(): number {
    if (this.spare !== undefined) {
      const v = this.spare;
      this.spare = undefined;
      return v;
    }
    let u = 0;
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  /** Fisher-Yates shuffle in place. */
  shuffle<T>(a: T[] | Uint32Array | Int32Array): typeof a {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = a[i]!;
      a[i] = a[j]!;
      a[j] = t;
    }
    return a;
  }

  /** The stream's state, to store in a checkpoint. */
  getState(): number[] {
    return [...this.s, this.spare === undefined ? NaN : this.spare];
  }

  /** Continues from a state {@link Rng.getState} returned. */
  setState(state: number[]): void {
    if (state.length !== 5)
      throw new HybridSpikeError('BAD_ARGUMENT', `RNG state must have 5 numbers, got ${state.length}.`);
    this.s = Uint32Array.from(state.slice(0, 4));
    this.spare = Number.isNaN(state[4]) ? undefined : state[4];
  }
}

function hashString(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619) >>> 0;
  return h;
}
