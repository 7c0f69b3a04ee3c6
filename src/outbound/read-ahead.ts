/**
 * Pages fetched ahead: once the first page of a list says how many there are,
 * the later ones are requested while the caller consumes the current one,
 * with at most `concurrency` in flight, and handed over in order
 * (docs/architecture.md, "Outbound HTTP").
 */

/**
 * Yields `fetch(key)` for each key, in the order of the keys, keeping up to
 * `concurrency` fetches in flight. A failed fetch rejects when its turn comes.
 * @param concurrency - fetches in flight at once (1 = strictly one at a time)
 */
export async function* readAhead<K, P>(keys: Iterable<K>, fetch: (key: K) => Promise<P>, concurrency: number): AsyncGenerator<P> {
  const pending = keys[Symbol.iterator]();
  const ahead: Promise<P>[] = [];
  const fill = () => {
    while (ahead.length < concurrency) {
      const next = pending.next();
      if (next.done) return;
      const p = fetch(next.value);
      // Handled when its turn comes; until then an early failure must not be "unhandled".
      p.catch(() => undefined);
      ahead.push(p);
    }
  };
  fill();
  while (ahead.length > 0) {
    const page = await ahead.shift()!;
    fill();
    yield page;
  }
}

/** The whole numbers from `first` to `last`, both included. */
export function* range(first: number, last: number, step = 1): Generator<number> {
  for (let n = first; n <= last; n += step) yield n;
}
