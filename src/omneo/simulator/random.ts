/** A small seeded PRNG, so that a seed always gives the same tenant and the same faults. */

/** mulberry32 over a 32-bit state derived from `seed`; returns numbers in [0, 1). */
export function seededRandom(seed: string): () => number {
  // FNV-1a of the seed string gives the initial state.
  let state = 0x811c9dc5;
  for (let i = 0; i < seed.length; i++) state = Math.imul(state ^ seed.charCodeAt(i), 0x01000193);
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)]!;
}
