/**
 * Seeded pseudo-random numbers for the simulator: a fast 32-bit generator (mulberry32), string and
 * number hashing to derive independent per-instrument / per-source seeds, and normal / lognormal
 * samplers. Everything here is deterministic: the same seed always gives the same sequence.
 */

/** 32-bit FNV-1a followed by a murmur3 finaliser; stable across runs and platforms. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return fmix32(h);
}

/** murmur3's 32-bit finaliser: a bijective mix of one 32-bit value. */
export function fmix32(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * Combines seeds / numbers / strings into one 32-bit seed, order-sensitive:
 * `deriveSeed(seed, 'latency', 3)` differs from `deriveSeed(seed, 3, 'latency')`.
 * Non-integer or large numbers are hashed through both 32-bit halves of their value.
 */
export function deriveSeed(...parts: readonly (number | string)[]): number {
  let h = 0x9e3779b9;
  for (const p of parts) {
    let v: number;
    if (typeof p === 'string') {
      v = hashString(p);
    } else if (Number.isInteger(p) && Math.abs(p) <= 0xffffffff) {
      v = p >>> 0;
    } else {
      const hi = Math.floor(p / 4294967296);
      v = fmix32((p >>> 0) ^ Math.imul(hi >>> 0, 0x27d4eb2d));
    }
    h = fmix32((h ^ v) + Math.imul(h, 0x5bd1e995) + 0x6b43a9b5);
  }
  return h >>> 0;
}

/** Mulberry32: a small, fast generator with a 32-bit state; good enough for simulation. */
export class Rng {
  private s: number;

  /** @param seed any number; reduced to 32 bits. */
  constructor(seed: number) {
    this.s = seed >>> 0;
  }

  /** Restarts the stream from a new seed (reuses the object). */
  reseed(seed: number): void {
    this.s = seed >>> 0;
  }

  /** Uniform integer in [0, 2^32). */
  nextU32(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** Uniform float in [0, 1). */
  next(): number {
    return this.nextU32() / 4294967296;
  }

  /** Uniform integer in [lo, hi] (both inclusive). */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  /** Uniform float in [lo, hi). */
  range(lo: number, hi: number): number {
    return lo + this.next() * (hi - lo);
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T {
    const v = items[Math.floor(this.next() * items.length)];
    if (v === undefined) throw new RangeError('Rng.pick on an empty array');
    return v;
  }

  /** Standard normal sample (Box–Muller; one value per call, no cached pair, so the stream stays simple). */
  normal(mean = 0, sd = 1): number {
    let u = this.next();
    if (u < 1e-12) u = 1e-12;
    const v = this.next();
    return mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Lognormal sample with the given median and log-space sigma: `median · exp(sigma · N(0,1))`. */
  lognormal(median: number, sigma: number): number {
    return median * Math.exp(sigma * this.normal());
  }

  /** Geometric number of trials until the first success (≥ 1) for success probability p ∈ (0, 1]. */
  geometric(p: number): number {
    if (p >= 1) return 1;
    let u = this.next();
    if (u < 1e-12) u = 1e-12;
    return 1 + Math.floor(Math.log(u) / Math.log(1 - p));
  }

  /** The current internal state (to checkpoint a stream). */
  get state(): number {
    return this.s >>> 0;
  }
}
