// The read-ahead of pages: order kept, fetches in flight bounded, a failure met at its turn.
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { range, readAhead } from '../../../src/outbound/read-ahead.js';

/** A fetch that answers after a delay shorter for later keys, counting how many run at once. */
function counted(fail?: number) {
  let inFlight = 0;
  let most = 0;
  const started: number[] = [];
  const fetch = async (key: number): Promise<number> => {
    started.push(key);
    most = Math.max(most, ++inFlight);
    await sleep(20 - key);
    inFlight--;
    if (key === fail) throw new Error(`page ${key} failed`);
    return key * 10;
  };
  return { fetch, started, most: () => most };
}

describe('readAhead', () => {
  it('yields in key order however the answers arrive, with at most `concurrency` in flight', async () => {
    for (const concurrency of [1, 3, 20]) {
      const { fetch, most } = counted();
      const pages: number[] = [];
      for await (const page of readAhead(range(1, 12), fetch, concurrency)) pages.push(page);
      expect(pages).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120]);
      expect(most()).toBe(Math.min(concurrency, 12));
    }
  });

  it('rejects when the failed page comes up, after the pages before it', async () => {
    const { fetch } = counted(4);
    const pages: number[] = [];
    await expect(
      (async () => {
        for await (const page of readAhead(range(1, 8), fetch, 3)) pages.push(page);
      })(),
    ).rejects.toThrow('page 4 failed');
    expect(pages).toEqual([10, 20, 30]);
  });

  it('keeps only `concurrency` pages ahead of the consumer: stopping early starts no more', async () => {
    const { fetch, started } = counted();
    for await (const page of readAhead(range(1, 100), fetch, 2)) if (page === 20) break;
    await sleep(40);
    // When page 2 is handed over, pages 3 and 4 are the two in flight; nothing after.
    expect(started).toEqual([1, 2, 3, 4]);
  });

  it('ranges include both ends and step', () => {
    expect([...range(2, 5)]).toEqual([2, 3, 4, 5]);
    expect([...range(1, 10, 4)]).toEqual([1, 5, 9]);
    expect([...range(3, 2)]).toEqual([]);
  });
});
