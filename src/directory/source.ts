/** Parsing and reading a tenant's directory source (`csv:PATH` or `scim:URL`). */
import { InputError } from '../errors.js';
import { OutboundUrlPolicy } from '../outbound/url-policy.js';
import { readCsvRoster } from './csv-roster.js';
import { readScimDirectory, type ScimOptions } from './scim-client.js';
import type { DirectoryPerson, DirectorySource } from './types.js';

/**
 * Parses `csv:PATH` or `scim:URL`; an InputError names `field` otherwise. A
 * SCIM URL obeys the outbound-URL policy (src/outbound/url-policy.ts) and is
 * returned normalised (`new URL(x).href`, no trailing slash): what is stored.
 * @param urlPolicy - @defaultValue a policy that allows no private network
 */
export function parseDirectorySource(text: string, field = '--directory', urlPolicy = new OutboundUrlPolicy()): DirectorySource {
  if (text.startsWith('csv:') && text.length > 4) return { kind: 'csv', path: text.slice(4) };
  if (text.startsWith('scim:')) {
    let parsed: URL;
    try {
      // Its token comes from <TOKEN_ENV>_SCIM: a URL is stored and shown, so the policy's "no credentials" matters here.
      parsed = urlPolicy.parse(text.slice(5), field);
    } catch (err) {
      if (err instanceof InputError) throw new InputError(field, `the SCIM URL${err.problem.startsWith('must') ? ' ' : ': '}${err.problem}`);
      throw err;
    }
    if (parsed.search || parsed.hash) throw new InputError(field, 'the SCIM URL must not have a query or fragment');
    return { kind: 'scim', url: parsed.href.replace(/\/+$/, '') };
  }
  throw new InputError(field, 'expected csv:PATH or scim:URL');
}

/** The source as stored: `csv:PATH`, or `scim:` and the normalised URL. */
export function formatDirectorySource(source: DirectorySource): string {
  return source.kind === 'csv' ? `csv:${source.path}` : `scim:${source.url}`;
}

/**
 * Reads every person of a directory source.
 * @param scim - bearer token and fetch options, for `scim:` sources
 */
export async function readDirectory(source: DirectorySource, scim: ScimOptions = {}): Promise<DirectoryPerson[]> {
  return source.kind === 'csv' ? readCsvRoster(source.path) : readScimDirectory(source.url, scim);
}
