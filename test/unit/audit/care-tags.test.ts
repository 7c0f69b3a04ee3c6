// The tag the CARE-01 remedy adds: by tag match (case and surrounding spaces
// do not count), the profile's other tags kept as they are, in their order.
import { describe, expect, it } from 'vitest';
import { withTag } from '../../../src/audit/care-tags.js';

describe('withTag', () => {
  it('adds the tag after the others, keeping them exactly', () => {
    expect(withTag([], 'handle-with-care')).toEqual(['handle-with-care']);
    expect(withTag(['vip', ' Gold '], 'handle-with-care')).toEqual(['vip', ' Gold ', 'handle-with-care']);
  });

  it('adds nothing when the profile holds it already, in any case or with spaces around', () => {
    expect(withTag(['handle-with-care'], 'handle-with-care')).toBeNull();
    expect(withTag(['vip', ' Handle-With-Care '], 'handle-with-care')).toBeNull();
    expect(withTag(['HANDLE-WITH-CARE'], ' handle-with-care')).toBeNull();
  });

  it('a tag that only looks alike is another tag', () => {
    expect(withTag(['handle with care', 'handle-with-care-2'], 'handle-with-care')).toEqual(['handle with care', 'handle-with-care-2', 'handle-with-care']);
  });
});
