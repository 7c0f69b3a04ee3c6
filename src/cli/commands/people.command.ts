/**
 * `warden people add|list|disable|sign-out|login-link|api-key|api-keys|revoke-key`:
 * who may use the web app and the JSON API, with which roles, on which tenants.
 * Each command calls one action of src/app/people.ts or src/app/sign-in.ts.
 */
import { Option, type Command } from 'commander';
import { addPerson, apiKeysOf, disablePerson, endSessions, issueApiKey, listPeople, parseRoles, revokeApiKey } from '../../app/people.js';
import { issueTerminalLink } from '../../app/sign-in.js';
import type { Person } from '../../db/database.js';
import { InputError } from '../../errors.js';
import { printable } from '../../text/sanitize.js';
import { cliActor } from '../actor.js';
import { underFlags } from '../fields.js';
import { examples } from '../help.js';
import { write, type CliIo } from '../io.js';
import { withApp, withLedger } from '../ledger.js';
import { DEFAULT_PORT } from './serve.command.js';

function personJson(p: Person) {
  return { email: p.email, name: p.name, roles: p.roles, tenants: p.tenants, created_at: p.created_at.toISOString(), disabled_at: p.disabled_at?.toISOString() ?? null };
}

/** The command line's names of the people actions' fields. */
const EMAIL_ARG = { email: 'EMAIL' } as const;
const ADD_FLAGS = { ...EMAIL_ARG, roles: '--role', tenants: '--tenants', name: '--name' } as const;

function tenantList(value: string): string[] {
  const names = value.split(',').map((t) => t.trim()).filter((t) => t !== '');
  if (names.length === 0) throw new InputError('--tenants', 'give tenant names separated by commas, or leave the flag out for all tenants');
  return names;
}

export function registerPeople(program: Command, io: CliIo): void {
  const people = program.command('people').description('people who may sign in to the web app, their roles, sign-in links and API keys');

  people
    .command('add <email>')
    .description('add a person with one or more roles (compliance, admin, engineer), on all tenants or the ones named')
    .requiredOption('--role <roles>', 'comma-separated roles: compliance, admin, engineer')
    .option('--tenants <names>', 'comma-separated tenants they may see (default: all)')
    .option('--name <name>', 'their name, as pages and emails greet them')
    .addHelpText('after', examples('warden people add it@acme.example --role admin,engineer --tenants acme', 'warden people add audit@acme.example --role compliance'))
    .action(async (email: string, opts: { role: string; tenants?: string; name?: string }) => {
      const input = {
        email,
        roles: parseRoles(opts.role.split(','), '--role'),
        tenants: opts.tenants === undefined ? null : tenantList(opts.tenants),
        ...(opts.name === undefined ? {} : { name: opts.name }),
      };
      const person = await underFlags(ADD_FLAGS, () => withLedger(io, ({ db }) => addPerson(db, input, cliActor())));
      await write(io.stdout, `${printable(`added ${person.email} (${person.roles.join(', ')}) on ${person.tenants === null ? 'all tenants' : person.tenants.join(', ')}`)}\n`);
    });

  people
    .command('list')
    .description('list people, their roles and tenants')
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json']).default('table'))
    .action(async (opts: { format: 'table' | 'json' }) => {
      const rows = await withLedger(io, ({ db }) => listPeople(db));
      if (opts.format === 'json') return write(io.stdout, `${JSON.stringify(rows.map(personJson), null, 2)}\n`);
      if (rows.length === 0) return write(io.stdout, 'no one yet: add a person with `warden people add EMAIL --role admin`\n');
      const lines = rows.map((p) =>
        [p.email, p.name || '-', p.roles.join(','), p.tenants === null ? '(all)' : p.tenants.join(','), p.disabled_at === null ? 'enabled' : 'disabled'].map(printable).join('\t'),
      );
      await write(io.stdout, `EMAIL\tNAME\tROLES\tTENANTS\tSTATE\n${lines.join('\n')}\n`);
    });

  people
    .command('disable <email>')
    .description('disable a person: their sessions end now and their API keys stop working')
    .action(async (email: string) => {
      const person = await underFlags(EMAIL_ARG, () => withLedger(io, ({ db }) => disablePerson(db, email, cliActor())));
      await write(io.stdout, `${printable(`disabled ${person.email}`)}\n`);
    });

  people
    .command('sign-out <email>')
    .description('end every session of a person (a lost laptop): they stay enabled and sign in again')
    .action(async (email: string) => {
      const ended = await underFlags(EMAIL_ARG, () => withLedger(io, ({ db }) => endSessions(db, email, cliActor())));
      await write(io.stdout, `${printable(`ended ${ended} session${ended === 1 ? '' : 's'} of ${email.trim().toLowerCase()}`)}
`);
    });

  people
    .command('login-link <email>')
    .description(
      'print a one-time sign-in link for a person (15 minutes, single use; its page’s button spends it). ' +
        `It points at WARDEN_PUBLIC_URL, else http://127.0.0.1:${DEFAULT_PORT}`,
    )
    .action(async (email: string) => {
      const link = await underFlags(EMAIL_ARG, () =>
        withApp(io, async (app) =>
          issueTerminalLink(app.database.db, (await app.ledgerKeys()).web, email, app.config.WARDEN_PUBLIC_URL ?? `http://127.0.0.1:${DEFAULT_PORT}`),
        ),
      );
      await write(io.stdout, `${printable(`sign-in link for ${link.person.email}, valid until ${link.expiresAt.toISOString()}:`)}\n${link.url}\n`);
    });

  people
    .command('api-key <email>')
    .description('make an API key for a person, for scripts (Authorization: Bearer KEY); printed once, only its hash is kept')
    .option('--name <name>', 'what the key is for', 'script')
    .action(async (email: string, opts: { name: string }) => {
      const issued = await underFlags({ ...EMAIL_ARG, name: '--name' }, () => withLedger(io, ({ db }) => issueApiKey(db, email, opts.name, cliActor())));
      io.stderr.write(`API key ${issued.row.id} (${printable(issued.row.name)}) for ${printable(email)}: shown once, keep it in a secret store\n`);
      await write(io.stdout, `${issued.key}\n`);
    });

  people
    .command('api-keys <email>')
    .description('list a person’s API keys (ids, names, first characters, last use), never the keys')
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json']).default('table'))
    .action(async (email: string, opts: { format: 'table' | 'json' }) => {
      const keys = await underFlags(EMAIL_ARG, () => withLedger(io, ({ db }) => apiKeysOf(db, email)));
      const rows = keys.map((k) => ({
        id: k.id,
        name: k.name,
        prefix: k.prefix,
        created_at: k.created_at.toISOString(),
        last_used_at: k.last_used_at?.toISOString() ?? null,
        revoked_at: k.revoked_at?.toISOString() ?? null,
      }));
      if (opts.format === 'json') return write(io.stdout, `${JSON.stringify(rows, null, 2)}\n`);
      const lines = rows.map((k) => [k.id, k.name, `${k.prefix}…`, k.created_at, k.last_used_at ?? 'never', k.revoked_at === null ? 'live' : 'revoked'].map((v) => printable(String(v))).join('\t'));
      await write(io.stdout, `ID\tNAME\tKEY\tCREATED\tLAST USED\tSTATE\n${lines.join('\n')}${lines.length > 0 ? '\n' : ''}`);
    });

  people
    .command('revoke-key <id>')
    .description('revoke an API key by its id (from `people api-keys`)')
    .action(async (id: string) => {
      const n = Number(id);
      if (!Number.isInteger(n) || n < 1) throw new InputError('id', 'expected a positive integer');
      await withLedger(io, ({ db }) => revokeApiKey(db, n, cliActor()));
      await write(io.stdout, `revoked API key ${n}\n`);
    });
}
