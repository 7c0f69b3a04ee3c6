/**
 * `warden audit-log verify|head`: walk the audit log's keyed hash chain and name
 * the first broken row; print the head an auditor keeps, and check an earlier
 * head is still part of the log (docs/operations.md "The audit log").
 */
import { readFile } from 'node:fs/promises';
import { Option, type Command } from 'commander';
import { auditLogHead, verifyChain, type ExpectedHead } from '../../db/audit-log.repository.js';
import { InputError } from '../../errors.js';
import { examples } from '../help.js';
import { EXIT, write, type CliIo } from '../io.js';
import { withLedger } from '../ledger.js';

const HEAD_TEXT = /^([0-9a-f]{64}):(\d{1,15})$/;

/** `HASH:COUNT`, as `audit-log head` and the digest print it. */
export function parseHead(text: string, field: string): ExpectedHead {
  const m = HEAD_TEXT.exec(text.trim());
  if (m === null) throw new InputError(field, 'expected HASH:COUNT (64 lower-case hex digits, a colon, a whole number), as `warden audit-log head` prints it');
  return { hash: m[1]!, count: Number(m[2]) };
}

/** A head file: what `audit-log head` printed, as text (`HASH:COUNT`) or `--format json`. */
async function readHeadFile(file: string): Promise<ExpectedHead> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new InputError('--head-file', `cannot read ${JSON.stringify(file)} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  if (!text.trimStart().startsWith('{')) return parseHead(text, '--head-file');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new InputError('--head-file', 'not valid JSON');
  }
  const { hash, count } = (parsed ?? {}) as { hash?: unknown; count?: unknown };
  return parseHead(`${String(hash)}:${String(count)}`, '--head-file');
}

export function registerAuditLog(program: Command, io: CliIo, setExit: (code: number) => void): void {
  const auditLog = program.command('audit-log').description('the append-only audit log, keyed and hash-chained');
  auditLog
    .command('verify')
    .description(
      'check every row against its HMAC and its predecessor; with --head or --head-file, also that an earlier head ' +
        '(from `audit-log head` or a digest) is still part of the log, which catches deleted newest rows and a truncation; ' +
        'exit 1 naming the first broken row',
    )
    .addOption(new Option('--head <hash:count>', 'an earlier head, as `warden audit-log head` prints it'))
    .addOption(new Option('--head-file <file>', 'a file holding an earlier head (text or --format json)').conflicts('head'))
    .addHelpText('after', examples('warden audit-log head > head-2026-11-30.txt', 'warden audit-log verify --head-file head-2026-11-30.txt'))
    .action(async (opts: { head?: string; headFile?: string }) => {
      const head = opts.head !== undefined ? parseHead(opts.head, '--head') : opts.headFile !== undefined ? await readHeadFile(opts.headFile) : undefined;
      const verdict = await withLedger(io, ({ db }) => verifyChain(db, head === undefined ? {} : { head }));
      if (verdict.ok) {
        const legacy = verdict.legacy > 0 ? ` (the first ${verdict.legacy} from before the keyed chain, plain SHA-256)` : '';
        const anchored = head === undefined ? '' : `; the head of ${head.count} entries is part of it`;
        await write(io.stdout, `chain intact, ${verdict.rows} rows${legacy}${anchored}\n`);
        return;
      }
      const where = verdict.brokenId === null ? 'chain broken' : `chain broken at row ${verdict.brokenId}`;
      await write(io.stdout, `${where}: ${verdict.message} (${verdict.rows} rows before it intact)\n`);
      setExit(EXIT.failure);
    });
  auditLog
    .command('head')
    .description('print where the log ends (the last row’s id and hash, and the row count): keep it, and compare later with `audit-log verify --head`')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (opts: { format: 'text' | 'json' }) => {
      const head = await withLedger(io, ({ db }) => auditLogHead(db));
      if (opts.format === 'json') {
        await write(io.stdout, `${JSON.stringify({ id: head.id, hash: head.hash, count: head.count, at: head.at?.toISOString() ?? null })}\n`);
        return;
      }
      await write(io.stdout, `${head.hash}:${head.count}\n`);
    });
}
