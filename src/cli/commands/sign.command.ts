/**
 * `warden sign webhook|barcode|verify-webhook`: the platform's HMAC signatures
 * computed or checked by hand, for people debugging an integration
 * (docs/operations.md "Verifying webhooks"). Pure functions of
 * src/secrets/hmac.ts and src/secrets/webhook-verifier.ts: no ledger, no
 * network, nothing written but the answer.
 *
 * The secret is read from the environment variable `--secret-env` names, never
 * from a flag's value (that would land in the shell's history and in `ps`),
 * and is never printed, not even in an error.
 */
import { Option, type Command } from 'commander';
import type { Environment } from '../../config.js';
import { InputError } from '../../errors.js';
import { isVerbatimQuery } from '../../outbound/http-client.js';
import { barcodeToken, sign, splitBarcodeQuery } from '../../secrets/hmac.js';
import { verifyWebhook } from '../../secrets/webhook-verifier.js';
import { examples } from '../help.js';
import { secretFromVariable } from '../secret-variable.js';
import { EXIT, readBytes, write, type CliIo } from '../io.js';

/** The secret in the variable `name` (src/cli/secret-variable.ts). */
const secretOf = (env: Environment, name: string): string => secretFromVariable(env, name, '--secret-env');

/** The query string a barcode token covers, as the platform will receive it: checked, without its `?`. */
function barcodeQuery(query: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(query)) throw new InputError('QUERY', 'give the query string (what follows ? in the barcode link), not the whole URL');
  const raw = query.startsWith('?') ? query.slice(1) : query;
  // The value is not quoted: a barcode query names a customer.
  if (!isVerbatimQuery(raw)) {
    throw new InputError('QUERY', 'holds characters a URL percent-encodes (a space, a quote, #, <, >, a non-ASCII or control character): the platform would receive them encoded and the token would not match; encode them first');
  }
  if (splitBarcodeQuery(raw).signed === '') throw new InputError('QUERY', 'is empty');
  return raw;
}

const collect = (value: string, previous: readonly string[]): string[] => [...previous, value];

export function registerSign(program: Command, io: CliIo, setExit: (code: number) => void): void {
  const signCommand = program
    .command('sign')
    .description('compute or check the platform’s HMAC-SHA256 signatures by hand, to debug an integration (the secret read from a variable, never printed; no database)');

  signCommand
    .command('webhook')
    .description('print the X-Omneo-Hmac-SHA256 value of the body on standard input (its exact bytes)')
    .requiredOption('--secret-env <VAR>', 'environment variable holding the webhook signing secret')
    .addHelpText('after', examples(`WEBHOOK_SECRET=… warden sign webhook --secret-env WEBHOOK_SECRET < delivery.json`))
    .action(async (opts: { secretEnv: string }) => {
      const secret = secretOf(io.env, opts.secretEnv);
      await write(io.stdout, `${sign(secret, await readBytes(io.stdin))}\n`);
    });

  signCommand
    .command('barcode')
    .description('print the barcode `token` of a query string: the lower-case hex HMAC-SHA256 of the exact query without its &token=…')
    .argument('<QUERY>', 'the query string of the barcode link, as sent (percent-encoded), with or without its ? and any token')
    .requiredOption('--secret-env <VAR>', 'environment variable holding the barcode secret')
    .addHelpText('after', examples(`warden sign barcode --secret-env BARCODE_SECRET 'code=4000123&profile_id=501'`))
    .action(async (query: string, opts: { secretEnv: string }) => {
      const secret = secretOf(io.env, opts.secretEnv);
      await write(io.stdout, `${barcodeToken(secret, barcodeQuery(query))}\n`);
    });

  signCommand
    .command('verify-webhook')
    .description(
      'check a delivery: the body on standard input (its exact bytes) against --signature; ' +
        'exit 0 printing `valid`, or exit 1 printing `invalid: <reason>` on stderr (missing-signature, bad-signature)',
    )
    .addOption(new Option('--secret-env <VAR>', 'environment variable holding a webhook signing secret; repeat it to accept several (current and previous during an overlap)').argParser(collect).default([]))
    .requiredOption('--signature <SIG>', 'the X-Omneo-Hmac-SHA256 header of the delivery')
    .addHelpText('after', examples(`warden sign verify-webhook --secret-env WEBHOOK_SECRET --signature 5bdcc146… < delivery.json`))
    .action(async (opts: { secretEnv: string[]; signature: string }) => {
      if (opts.secretEnv.length === 0) throw new InputError('--secret-env', 'required: the variable holding the webhook signing secret');
      const secrets = opts.secretEnv.map((name) => secretOf(io.env, name));
      const verdict = verifyWebhook(await readBytes(io.stdin), opts.signature, secrets);
      if (!verdict.ok) {
        await write(io.stderr, `invalid: ${verdict.reason}\n`);
        setExit(EXIT.failure);
        return;
      }
      // With several secrets, which one signed it is the point of asking.
      await write(io.stdout, secrets.length === 1 ? 'valid\n' : `valid: signed with the secret in ${opts.secretEnv[verdict.index]!}\n`);
    });
}
