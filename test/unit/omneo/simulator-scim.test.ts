// The simulator's SCIM ListResponse paging (scimList): the page asked for, its edges, and only it rendered.
import { describe, expect, it } from 'vitest';
import type { DirectoryPerson } from '../../../src/omneo/simulator/demo-tenant.js';
import { SCIM_MAX_COUNT, scimList, toScimUser, type ScimListResponse } from '../../../src/omneo/simulator/scim.js';

const NOW = Date.parse('2026-11-30T12:00:00Z');

const roster: DirectoryPerson[] = Array.from({ length: 10 }, (_, i) => ({
  email: `p${i}@corp.example`,
  name: `Person ${i}`,
  status: i === 4 ? 'terminated' : 'active',
  end_date: i === 6 ? '2026-01-31' : null,
  last_login_at: null,
}));

function list(query: Record<string, string>, people: readonly DirectoryPerson[] = roster, maxCount?: number): ScimListResponse {
  const answer = scimList(people, new URLSearchParams(query), NOW, maxCount);
  if ('problem' in answer) throw new Error(answer.problem);
  return answer;
}

const emails = (answer: ScimListResponse) => answer.Resources.map((u) => u.userName);

describe('scimList paging', () => {
  it('answers the page asked for: each person once, in roster order, with the id and emails of their roster index', () => {
    const pages = [1, 4, 7, 10].map((startIndex) => list({ startIndex: String(startIndex), count: '3' }));
    expect(pages.flatMap(emails)).toEqual(roster.map((p) => p.email));
    expect(pages.flatMap((p) => p.Resources)).toEqual(roster.map((p, i) => toScimUser(p, i, NOW)));
    expect(pages.map((p) => [p.startIndex, p.itemsPerPage, p.totalResults])).toEqual([
      [1, 3, 10],
      [4, 3, 10],
      [7, 3, 10],
      [10, 1, 10], // the last page is short
    ]);
  });

  it('answers a startIndex beyond the end with no resources and the total', () => {
    for (const startIndex of ['11', '500']) {
      const answer = list({ startIndex, count: '3' });
      expect(answer).toMatchObject({ totalResults: 10, startIndex: Number(startIndex), itemsPerPage: 0, Resources: [] });
    }
  });

  it('answers count 0, or a negative count, with the total only (RFC 7644 §3.4.2.4)', () => {
    for (const count of ['0', '-5']) expect(list({ count })).toMatchObject({ totalResults: 10, startIndex: 1, itemsPerPage: 0, Resources: [] });
  });

  it('reads a startIndex below 1 as 1, and defaults to the first 100', () => {
    expect(emails(list({ startIndex: '-3', count: '2' }))).toEqual(['p0@corp.example', 'p1@corp.example']);
    expect(list({ startIndex: '0', count: '2' }).startIndex).toBe(1);
    const many = Array.from({ length: 150 }, (_, i) => ({ ...roster[0]!, email: `m${i}@corp.example` }));
    expect(list({}, many)).toMatchObject({ startIndex: 1, itemsPerPage: 100, totalResults: 150 });
  });

  it('caps count at the server maximum: fewer than asked, never more', () => {
    expect(list({ count: '8' }, roster, 3).itemsPerPage).toBe(3);
    expect(list({ count: '2' }, roster, 3).itemsPerPage).toBe(2);
    const many = Array.from({ length: SCIM_MAX_COUNT + 5 }, (_, i) => ({ ...roster[0]!, email: `m${i}@corp.example` }));
    expect(list({ count: String(SCIM_MAX_COUNT + 5) }, many).itemsPerPage).toBe(SCIM_MAX_COUNT);
  });

  it('pages a filter by userName, case-insensitive, and refuses others and bad numbers', () => {
    expect(emails(list({ filter: 'userName eq "P3@CORP.example"' }))).toEqual(['p3@corp.example']);
    expect(list({ filter: 'userName eq "P3@CORP.example"' }).Resources[0]!.id).toBe('u-4');
    expect(list({ filter: 'userName eq "nobody@corp.example"' })).toMatchObject({ totalResults: 0, Resources: [] });
    expect(scimList(roster, new URLSearchParams({ filter: 'displayName co "x"' }), NOW)).toEqual({ problem: 'unsupported filter' });
    expect(scimList(roster, new URLSearchParams({ count: 'many' }), NOW)).toEqual({ problem: 'count must be an integer' });
    expect(scimList(roster, new URLSearchParams({ startIndex: '1.5' }), NOW)).toEqual({ problem: 'startIndex must be an integer' });
  });

  it('renders only the page asked for, not the whole roster (paging through stays linear)', () => {
    const touched = new Set<number>();
    // A roster that records which people are read; its length is free.
    const watched = new Proxy(roster, {
      get(target, key, receiver) {
        if (typeof key === 'string' && /^\d+$/.test(key)) touched.add(Number(key));
        return Reflect.get(target, key, receiver) as unknown;
      },
    });
    expect(emails(list({ startIndex: '5', count: '3' }, watched))).toEqual(['p4@corp.example', 'p5@corp.example', 'p6@corp.example']);
    expect([...touched].sort((a, b) => a - b)).toEqual([4, 5, 6]);
  });
});
