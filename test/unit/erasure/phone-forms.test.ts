import { describe, expect, it } from 'vitest';
import { phoneForms } from '../../../src/erasure/verify-erasure.js';

describe('phoneForms: the forms a phone number is searched by', () => {
  it('a number with its + is searched as written and without the + (a platform may keep it either way)', () => {
    expect(phoneForms('+61455710903')).toEqual(['+61455710903', '61455710903']);
  });

  it('a number without a + is searched as written, once', () => {
    expect(phoneForms('0455710903')).toEqual(['0455710903']);
    expect(phoneForms('61455710903')).toEqual(['61455710903']);
  });

  it('no form is empty, and none repeats', () => {
    for (const n of ['+1', '+61455710903', '0455710903']) {
      const forms = phoneForms(n);
      expect(forms.every((f) => f !== '')).toBe(true);
      expect(new Set(forms).size).toBe(forms.length);
    }
  });
});
