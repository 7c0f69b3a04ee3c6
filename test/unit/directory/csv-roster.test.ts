import { describe, expect, it } from 'vitest';
import { parseCsvRoster } from '../../../src/directory/csv-roster.js';
import { parseDirectorySource } from '../../../src/directory/source.js';
import { InputError } from '../../../src/errors.js';

function errorOf(fn: () => unknown): InputError {
  try {
    fn();
  } catch (err) {
    if (err instanceof InputError) return err;
    throw err;
  }
  throw new Error('expected an InputError');
}

describe('CSV roster', () => {
  it('reads people, trimming cells and defaulting an empty status to active', () => {
    const people = parseCsvRoster(
      'Email,Name,Status,End_Date,last_login_at\n' +
        ' Ann.Lee@acme.example ,Ann Lee,,,2026-11-27T10:00:00Z\n' +
        'bob@acme.example,,TERMINATED,2026-10-31,\n',
    );
    expect(people).toEqual([
      { email: 'Ann.Lee@acme.example', name: 'Ann Lee', status: 'active', end_date: null, last_login_at: '2026-11-27T10:00:00Z' },
      { email: 'bob@acme.example', name: null, status: 'terminated', end_date: '2026-10-31', last_login_at: null },
    ]);
  });

  it('names the line and column of a bad row (the header is line 1)', () => {
    const text = 'email,status,end_date\na@x.example,active,\nb@x.example,gone,\n';
    expect(errorOf(() => parseCsvRoster(text, 'hr.csv')).message).toBe('hr.csv line 3: status: expected active or terminated');
    expect(errorOf(() => parseCsvRoster('email,end_date\na@x.example,31/10/2026\n', 'hr.csv')).message).toBe(
      'hr.csv line 2: end_date: not an ISO 8601 date or timestamp',
    );
    expect(errorOf(() => parseCsvRoster('email,name\n,Nobody\n', 'hr.csv')).message).toBe(
      'hr.csv line 2: email: missing or not an email address',
    );
  });

  it('rejects a file without an email column, and malformed CSV', () => {
    expect(errorOf(() => parseCsvRoster('mail,name\na@x.example,A\n', 'hr.csv')).message).toBe('hr.csv: the header has no email column');
    expect(errorOf(() => parseCsvRoster('email,name\n"a@x.example,A\n', 'hr.csv')).message).toMatch(/^hr\.csv: not valid CSV: /);
  });
});

describe('directory source', () => {
  it('parses csv: and scim: sources', () => {
    expect(parseDirectorySource('csv:./hr.csv')).toEqual({ kind: 'csv', path: './hr.csv' });
    expect(parseDirectorySource('scim:https://idp.example/scim/v2')).toEqual({ kind: 'scim', url: 'https://idp.example/scim/v2' });
  });

  it('rejects anything else, naming the flag', () => {
    expect(errorOf(() => parseDirectorySource('ldap://x')).message).toBe('--directory: expected csv:PATH or scim:URL');
    expect(errorOf(() => parseDirectorySource('scim:not a url')).path).toBe('--directory');
    expect(errorOf(() => parseDirectorySource('scim:ftp://x/')).problem).toBe('the SCIM URL must be an https URL');
    expect(errorOf(() => parseDirectorySource('csv:')).path).toBe('--directory');
    expect(errorOf(() => parseDirectorySource('scim:https://admin:hunter2@idp.example/scim/v2')).message).toBe(
      '--directory: the SCIM URL must not carry credentials',
    );
    expect(errorOf(() => parseDirectorySource('scim:https://idp.example/scim/v2?token=abc')).problem).toBe(
      'the SCIM URL must not have a query or fragment',
    );
  });
});
