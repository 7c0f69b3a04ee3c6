// The strict parser the /metrics tests read Prometheus text with (test/support/prometheus.ts):
// it must refuse what Prometheus would, or those tests could not fail.
import { describe, expect, it } from 'vitest';
import { parsePrometheus, sampleValue } from '../../support/prometheus.js';

describe('parsePrometheus', () => {
  it('reads families, labels (escapes included) and values, NaN and Inf in any case', () => {
    const m = parsePrometheus(
      '# HELP a_total A counter\n# TYPE a_total counter\na_total{x="1",y="q\\"uote\\\\"} 3\n# TYPE h histogram\nh_bucket{le="+Inf"} 2\nh_sum 0.5\nh_count 2\n# TYPE g gauge\ng Nan\n',
    );
    expect(m.get('a_total')).toMatchObject({ type: 'counter', help: 'A counter' });
    expect(sampleValue(m, 'a_total', { y: 'q"uote\\' })).toBe(3);
    expect(sampleValue(m, 'h_bucket', { le: '+Inf' })).toBe(2);
    expect(sampleValue(m, 'h_count')).toBe(2);
    expect(sampleValue(m, 'g')).toBeNaN();
  });

  it.each([
    ['a sample before its TYPE', 'x 1\n'],
    ['a malformed value', '# TYPE x gauge\nx one\n'],
    ['malformed labels', '# TYPE x gauge\nx{a=1} 1\n'],
    ['a label twice', '# TYPE x gauge\nx{a="1",a="2"} 1\n'],
    ['a TYPE twice', '# TYPE x gauge\n# TYPE x gauge\n'],
    ['an unknown type', '# TYPE x thing\n'],
    ['a _bucket of a gauge', '# TYPE x gauge\nx_bucket 1\n'],
    ['no final newline', '# TYPE x gauge\nx 1'],
  ])('refuses %s', (_what, text) => {
    expect(() => parsePrometheus(text)).toThrow();
  });
});
