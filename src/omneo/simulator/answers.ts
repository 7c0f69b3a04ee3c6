/** The simulator's answers, in the platform's shapes (docs/architecture.md, "The platform"), and how they are written. */
import type { ServerResponse } from 'node:http';

/** What a route answers: a status, a JSON body or raw text, and headers. */
export interface Answer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Raw text instead of JSON. */
  text?: string;
}

export function item(data: unknown): Answer {
  return data === undefined ? notFound() : { status: 200, body: { data } };
}

export function noContent(): Answer {
  return { status: 204 };
}

export function notFound(): Answer {
  return { status: 404, body: { message: 'Not found.' } };
}

export function invalid(errors: Record<string, string[]>): Answer {
  return { status: 422, body: { message: 'The given data was invalid.', errors } };
}

export function tooMany(seconds: number, format: 'seconds' | 'date'): Answer {
  return { status: 429, headers: retryAfterHeader(seconds, format), body: { message: 'Too Many Attempts.' } };
}

export function retryAfterHeader(seconds: number, format: 'seconds' | 'date'): Record<string, string> {
  return { 'retry-after': format === 'date' ? new Date(Date.now() + seconds * 1000).toUTCString() : String(seconds) };
}

/** A `{data, links, meta}` page of `items`, or a 422 naming the bad `page[…]` parameter. */
export function paginate<T>(query: URLSearchParams, base: string, items: readonly T[], maxPageSize: number): Answer {
  const size = query.has('page[size]') ? Number(query.get('page[size]')) : 15;
  const number = query.has('page[number]') ? Number(query.get('page[number]')) : 1;
  const errors: Record<string, string[]> = {};
  if (!Number.isInteger(size) || size < 1 || size > maxPageSize) errors['page.size'] = [`The page.size must be an integer from 1 to ${maxPageSize}.`];
  if (!Number.isInteger(number) || number < 1) errors['page.number'] = ['The page.number must be an integer of at least 1.'];
  if (Object.keys(errors).length) return invalid(errors);
  const lastPage = Math.max(1, Math.ceil(items.length / size));
  const link = (n: number) => {
    const q = new URLSearchParams(query);
    q.set('page[size]', String(size));
    q.set('page[number]', String(n));
    return `${base}?${q.toString()}`;
  };
  return {
    status: 200,
    body: {
      data: items.slice((number - 1) * size, number * size),
      links: { first: link(1), last: link(lastPage), prev: number > 1 ? link(number - 1) : null, next: number < lastPage ? link(number + 1) : null },
      meta: { current_page: number, last_page: lastPage, per_page: size, total: items.length },
    },
  };
}

export function send(res: ServerResponse, answer: Answer): void {
  if (res.destroyed) return;
  const headers: Record<string, string> = { ...answer.headers };
  let payload: string | undefined;
  if (answer.text !== undefined) payload = answer.text;
  else if (answer.status !== 204 && answer.body !== undefined) {
    payload = JSON.stringify(answer.body);
    headers['content-type'] ??= 'application/json';
  }
  res.writeHead(answer.status, headers);
  res.end(payload);
}
