/** `warden tenants add|list|remove`: who Warden audits. */
import { Option, type Command } from 'commander';
import { parseCsvRoster } from '../../directory/csv-roster.js';
import { parseDirectorySource } from '../../directory/source.js';
import { addTenant, listTenants, removeTenant } from '../../db/tenants.repository.js';
import { InputError } from '../../errors.js';
import { readFile } from 'node:fs/promises';
import { write, type CliIo } from '../io.js';
import { withLedger } from '../ledger.js';
import { baseUrl, directory, envName, recipients, tenantName, timezone } from '../tenant-options.js';

interface AddOptions {
  baseUrl: string;
  tokenEnv: string;
  timezone: string;
  directory?: string;
  recipients?: string;
}

/** A CSV roster is read once when the tenant is added, so a bad file is refused before anything is written. */
async function checkDirectory(source: string): Promise<void> {
  const parsed = parseDirectorySource(source);
  if (parsed.kind !== 'csv') return;
  let text: string;
  try {
    text = await readFile(parsed.path, 'utf8');
  } catch (err) {
    throw new InputError('--directory', `cannot read ${JSON.stringify(parsed.path)} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  parseCsvRoster(text, parsed.path);
}

export function registerTenants(program: Command, io: CliIo): void {
  const tenants = program.command('tenants').description('add, list and remove the tenants Warden audits');

  tenants
    .command('add <name>')
    .description('add a tenant; its platform token is read from --token-env at run time, never stored')
    .requiredOption('--base-url <url>', 'the platform API root, e.g. https://api.acme.getomneo.com/api/v3')
    .requiredOption('--token-env <VAR>', 'environment variable that holds the platform token')
    .option('--timezone <tz>', 'IANA time zone of the tenant’s schedules', 'UTC')
    .option('--directory <source>', 'HR/IdP roster: csv:PATH or scim:URL')
    .option('--recipients <list>', 'digest recipients: audience=email,… (audiences: compliance, admins, engineers)')
    .action(async (name: string, opts: AddOptions) => {
      const input = {
        name: tenantName(name),
        baseUrl: baseUrl(opts.baseUrl),
        tokenEnv: envName(opts.tokenEnv),
        timezone: timezone(opts.timezone),
        directory: opts.directory === undefined ? null : directory(opts.directory),
        recipients: opts.recipients === undefined ? {} : recipients(opts.recipients),
      };
      if (input.directory !== null) await checkDirectory(input.directory);
      const tenant = await withLedger(io, ({ db }) => addTenant(db, input));
      const tokenNote = io.env[tenant.token_env] ? 'is set' : 'is NOT set in this shell';
      await write(io.stdout, `added tenant ${tenant.name} (${tenant.base_url}); token variable ${tenant.token_env} ${tokenNote}\n`);
    });

  tenants
    .command('list')
    .description('list tenants')
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json']).default('table'))
    .action(async (opts: { format: 'table' | 'json' }) => {
      const rows = await withLedger(io, ({ db }) => listTenants(db));
      if (opts.format === 'json') {
        const out = rows.map((t) => ({
          name: t.name,
          base_url: t.base_url,
          token_env: t.token_env,
          timezone: t.timezone,
          directory: t.directory,
          recipients: t.recipients,
        }));
        await write(io.stdout, `${JSON.stringify(out, null, 2)}\n`);
        return;
      }
      if (rows.length === 0) return write(io.stdout, 'no tenants yet: add one with `warden tenants add`\n');
      const lines = rows.map((t) => `${t.name}\t${t.base_url}\t${t.token_env}\t${t.timezone}\t${t.directory ?? '-'}`);
      await write(io.stdout, `NAME\tBASE URL\tTOKEN ENV\tTIME ZONE\tDIRECTORY\n${lines.join('\n')}\n`);
    });

  tenants
    .command('remove <name>')
    .description('remove a tenant that has nothing in the ledger yet')
    .action(async (name: string) => {
      await withLedger(io, ({ db }) => removeTenant(db, tenantName(name)));
      await write(io.stdout, `removed tenant ${name}\n`);
    });
}
