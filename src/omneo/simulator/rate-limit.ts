/** A token bucket: `rate` requests a second on average, bursts of up to `rate`. */
export class TokenBucket {
  #tokens: number;
  #last: number;

  constructor(
    readonly rate: number,
    nowMs: number,
  ) {
    this.#tokens = Math.max(1, rate);
    this.#last = nowMs;
  }

  /** Takes one request's token. @returns 0 when allowed, else the milliseconds until one is free */
  take(nowMs: number): number {
    const capacity = Math.max(1, this.rate);
    this.#tokens = Math.min(capacity, this.#tokens + ((nowMs - this.#last) / 1000) * this.rate);
    this.#last = nowMs;
    if (this.#tokens >= 1) {
      this.#tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - this.#tokens) / this.rate) * 1000);
  }
}
