/**
 * The tenant's approved data destinations as a CSV file, `host,note`
 * (docs/operations.md "Data destinations and the care register"). Pure
 * parsing; a bad row rejects the whole file, naming its line (the header is
 * line 1) as compilers do: `destinations.csv:4: host: …`.
 *
 * A host is a DNS name, or `*.` and a DNS name (any subdomain of it, not the
 * name itself: docs/rules.md "Approved host"). It is stored as the rules
 * compare it: lower-cased, without one trailing dot. What a webhook URL has
 * around its host (scheme, port, path) is refused rather than cut away: the
 * record should say exactly which host it approves.
 */
import { readCsvRecords } from '../csv/csv-records.js';
import { InputError } from '../errors.js';
import { appearsTwice, optionalText } from './record-cells.js';

export interface DestinationRow {
  /** Lower-cased, without a trailing dot. */
  host: string;
  note: string | null;
}

const COLUMNS = ['host', 'note'] as const;
const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
/** RFC 1035's limit on a name's length (without the trailing dot). */
const MAX_NAME = 253;
const LABEL_RULE = 'labels of letters, digits and hyphens, 1 to 63 characters, not starting or ending with a hyphen';

/** Why `name` (lower-cased) is not a DNS name, or undefined when it is one. */
function dnsNameProblem(name: string): string | undefined {
  // eslint-disable-next-line no-control-regex -- any character outside ASCII
  if (/[^\x00-\x7f]/.test(name)) return 'not a DNS name: write an internationalised name in its xn-- form';
  if (name.length > MAX_NAME) return `not a DNS name: longer than ${MAX_NAME} characters`;
  const labels = name.split('.');
  if (labels.some((l) => l === '')) return 'not a DNS name: it has an empty label';
  if (!labels.every((l) => LABEL.test(l))) return `not a DNS name: expected ${LABEL_RULE}`;
  return undefined;
}

/**
 * The host as stored, or the problem with it. The problems come in the order
 * a person fixes them: what is not a host at all first, then the name.
 */
export function parseDestinationHost(value: string): { host: string } | { problem: string } {
  let host = value.trim().toLowerCase();
  if (host === '') return { problem: 'missing' };
  if (host.includes('://')) return { problem: 'give the host alone, without a scheme' };
  if (/\s/.test(host)) return { problem: 'must not contain spaces' };
  if (host.includes('/') || host.includes('?') || host.includes('#')) return { problem: 'give the host alone, without a path' };
  if (host.includes('@')) return { problem: 'give the host alone, without a user name' };
  if (host.startsWith('[') || host.split(':').length > 2) return { problem: 'an IPv6 address is not a DNS name' };
  if (host.includes(':')) return { problem: 'give the host alone, without a port' };
  if (host === '*' || host === '*.') return { problem: 'a bare * would approve every host: write *.example.com for the subdomains of example.com' };
  const wildcard = host.startsWith('*.');
  const name = wildcard ? host.slice(2) : host;
  if (name.includes('*')) return { problem: 'a * is allowed only as a whole first label, as in *.example.com' };
  host = host.endsWith('.') ? host.slice(0, -1) : host;
  const problem = dnsNameProblem(wildcard ? host.slice(2) : host);
  return problem === undefined ? { host } : { problem };
}

/** The file's rows; a bad host, a host given twice (compared as stored) or a wrong header names the file and line. */
export function parseDestinationsCsv(text: string, source = 'destinations.csv'): DestinationRow[] {
  const seen = new Map<string, number>();
  return readCsvRecords(text, source, 'host', { columns: COLUMNS }).map(({ line, cells }) => {
    const where = `${source}:${line}`;
    const parsed = parseDestinationHost(cells.host ?? '');
    if ('problem' in parsed) {
      const given = (cells.host ?? '').trim();
      throw new InputError(`${where}: host`, given === '' ? parsed.problem : `${parsed.problem}: ${JSON.stringify(given.slice(0, 100))}`);
    }
    appearsTwice(seen, parsed.host, line, `${where}: host`);
    return { host: parsed.host, note: optionalText(cells.note, `${where}: note`) };
  });
}
