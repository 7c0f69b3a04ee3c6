/** Parsing and reading a tenant's directory source (`csv:PATH` or `scim:URL`). */
import { InputError } from '../errors.js';
import { readCsvRoster } from './csv-roster.js';
import { readScimDirectory, type ScimOptions } from './scim-client.js';
import type { DirectoryPerson, DirectorySource } from './types.js';

/** Parses `csv:PATH` or `scim:URL`; an InputError names `field` otherwise. */
export function parseDirectorySource(text: string, field = '--directory'): DirectorySource {
  if (text.startsWith('csv:') && text.length > 4) return { kind: 'csv', path: text.slice(4) };
  if (text.startsWith('scim:')) {
    const url = text.slice(5);
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new InputError(field, `not a URL after scim: (${JSON.stringify(url)})`);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new InputError(field, 'the SCIM URL must be http or https');
    // Its token comes from <TOKEN_ENV>_SCIM: a URL is stored and shown, so it must carry no secret.
    if (parsed.username || parsed.password) throw new InputError(field, 'the SCIM URL must not carry credentials');
    if (parsed.search || parsed.hash) throw new InputError(field, 'the SCIM URL must not have a query or fragment');
    return { kind: 'scim', url };
  }
  throw new InputError(field, 'expected csv:PATH or scim:URL');
}

/**
 * Reads every person of a directory source.
 * @param scim - bearer token and fetch options, for `scim:` sources
 */
export async function readDirectory(source: DirectorySource, scim: ScimOptions = {}): Promise<DirectoryPerson[]> {
  return source.kind === 'csv' ? readCsvRoster(source.path) : readScimDirectory(source.url, scim);
}
