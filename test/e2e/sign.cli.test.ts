// `warden sign webhook|barcode|verify-webhook` through the real binary in a child process: the signatures
// checked against HMACs computed here with node:crypto, stdout and stderr apart, exit statuses, the secret
// read from its variable only and never printed, and no database opened. Then the package's
// `warden/webhook-verifier` export, imported by name as a tenant's receiver would.
import { execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { copyFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, ROOT, compileCli, removeCli, warden, type BinResult } from '../support/warden-bin.js';

const WEBHOOK_SECRET = 'whsec-SECRET-9f3kQ2';
const PREVIOUS_SECRET = 'whsec-SECRET-old-7Rt1';
const BARCODE_SECRET = 'bc-SECRET-x4Lm0p';
/** Every output of every run, to look for the secrets in at the end. */
const outputs: string[] = [];
let cwd: string;

beforeAll(() => {
  compileCli();
  cwd = mkdtempSync(join(tmpdir(), 'warden-sign-'));
}, 120_000);

afterAll(() => {
  removeCli();
  rmSync(cwd, { recursive: true, force: true });
});

/**
 * Runs `warden sign …` in an empty folder. The ledger's variables point at nothing that answers: a command
 * that opened a database would fail, or make ./.warden in the folder.
 */
async function run(args: string[], vars: Record<string, string> = {}, stdin?: string | Uint8Array): Promise<BinResult> {
  const env = { DATABASE_URL: 'postgres://127.0.0.1:1/none', REDIS_URL: 'redis://127.0.0.1:1', ...vars };
  const result = await warden(['sign', ...args], env, { cwd, ...(stdin === undefined ? {} : { stdin }) });
  outputs.push(result.stdout, result.stderr);
  return result;
}

const hmac = (secret: string, data: string | Uint8Array) => createHmac('sha256', secret).update(data).digest('hex');
const SECRETS = { WEBHOOK_SECRET, PREVIOUS_SECRET, BARCODE_SECRET };

describe('warden sign webhook', () => {
  it('prints the X-Omneo-Hmac-SHA256 value of the exact bytes on standard input', async () => {
    // Not valid UTF-8, CRLF and a trailing newline: a decoded and re-encoded body would sign differently.
    const body = Buffer.concat([Buffer.from('{"type":"profile.updated",\r\n"name":"Zoë"}\n'), Buffer.from([0xff, 0xfe, 0x00])]);
    const result = await run(['webhook', '--secret-env', 'WEBHOOK_SECRET'], SECRETS, body);
    expect(result).toMatchObject({ code: 0, stdout: `${hmac(WEBHOOK_SECRET, body)}\n`, stderr: '' });
    const empty = await run(['webhook', '--secret-env', 'WEBHOOK_SECRET'], SECRETS, '');
    expect(empty).toMatchObject({ code: 0, stdout: `${hmac(WEBHOOK_SECRET, '')}\n`, stderr: '' });
  });
});

describe('warden sign barcode', () => {
  it('prints the token of the exact query without its &token=…, in lower-case hex', async () => {
    const query = 'code=4000123&profile_id=501&format=svg';
    const expected = `${hmac(BARCODE_SECRET, query)}\n`;
    const runs = await Promise.all([query, `?${query}`, `${query}&token=0123abcd`].map((given) => run(['barcode', '--secret-env', 'BARCODE_SECRET', given], SECRETS)));
    for (const result of runs) expect(result).toMatchObject({ code: 0, stdout: expected, stderr: '' });
    // A token in the middle is left out where it stands; percent-encodings are signed as written.
    const middle = await run(['barcode', '--secret-env', 'BARCODE_SECRET', 'code=1&token=zz&name=Zo%C3%AB&x=a+b'], SECRETS);
    expect(middle).toMatchObject({ code: 0, stdout: `${hmac(BARCODE_SECRET, 'code=1&name=Zo%C3%AB&x=a+b')}\n`, stderr: '' });
    expect(middle.stdout).toMatch(/^[0-9a-f]{64}\n$/);
  });

  it('refuses a whole URL, a query a URL would re-encode, and an empty one: exit 2, one line, nothing on stdout', async () => {
    const cases: [string, RegExp][] = [
      ['https://api.acme.getomneo.com/barcode?code=1', /^warden: QUERY: give the query string/],
      ['code=40 01&profile_id=501', /^warden: QUERY: holds characters a URL percent-encodes/],
      ['name=Zoë', /^warden: QUERY: holds characters/],
      ['token=abc', /^warden: QUERY: is empty\n$/],
    ];
    const runs = await Promise.all(cases.map(([query]) => run(['barcode', '--secret-env', 'BARCODE_SECRET', query], SECRETS)));
    for (const [i, [query, message]] of cases.entries()) {
      const result = runs[i]!;
      expect(result.code, query).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(message);
      expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
    }
  });
});

describe('warden sign verify-webhook', () => {
  const body = '{"id":"evt_1","type":"profile.updated","data":{"profile_id":501}}';
  const signature = hmac(WEBHOOK_SECRET, body);

  it('exits 0 printing valid for the signature of the body, upper-case hex and surrounding spaces included', async () => {
    const runs = await Promise.all([signature, signature.toUpperCase(), ` ${signature} `].map((given) => run(['verify-webhook', '--secret-env', 'WEBHOOK_SECRET', '--signature', given], SECRETS, body)));
    for (const result of runs) expect(result).toMatchObject({ code: 0, stdout: 'valid\n', stderr: '' });
  });

  it('exits 1 printing invalid and the reason on stderr', async () => {
    const cases: [args: string[], stdin: string, reason: string][] = [
      [['--signature', signature], `${body} `, 'bad-signature'],
      [['--signature', hmac(PREVIOUS_SECRET, body)], body, 'bad-signature'],
      [['--signature', signature.slice(0, 62)], body, 'bad-signature'],
      [['--signature', `sha256=${signature}`], body, 'bad-signature'],
      [['--signature', ''], body, 'missing-signature'],
    ];
    const runs = await Promise.all(cases.map(([args, stdin]) => run(['verify-webhook', '--secret-env', 'WEBHOOK_SECRET', ...args], SECRETS, stdin)));
    for (const [i, [args, , reason]] of cases.entries()) {
      expect(runs[i], args.join(' ')).toMatchObject({ code: 1, stdout: '', stderr: `invalid: ${reason}\n` });
    }
  });

  it('accepts several secrets, as during an overlap, and says which one signed', async () => {
    const both = ['verify-webhook', '--secret-env', 'WEBHOOK_SECRET', '--secret-env', 'PREVIOUS_SECRET'];
    expect(await run([...both, '--signature', hmac(PREVIOUS_SECRET, body)], SECRETS, body)).toMatchObject({ code: 0, stdout: 'valid: signed with the secret in PREVIOUS_SECRET\n', stderr: '' });
    expect(await run([...both, '--signature', signature], SECRETS, body)).toMatchObject({ code: 0, stdout: 'valid: signed with the secret in WEBHOOK_SECRET\n' });
    expect(await run([...both, '--signature', hmac('another', body)], SECRETS, body)).toMatchObject({ code: 1, stderr: 'invalid: bad-signature\n' });
  });
});

describe('the secret', () => {
  it('comes from the named variable only: unset, empty or no variable named is exit 2 naming it', async () => {
    const cases: [args: string[], vars: Record<string, string>, stderr: string][] = [
      [['webhook', '--secret-env', 'MISSING_SECRET'], {}, 'warden: --secret-env: MISSING_SECRET is not set (or is empty): export the secret in it\n'],
      [['barcode', '--secret-env', 'EMPTY_SECRET', 'code=1'], { EMPTY_SECRET: '' }, 'warden: --secret-env: EMPTY_SECRET is not set (or is empty): export the secret in it\n'],
      [['verify-webhook', '--signature', 'ab'], SECRETS, 'warden: --secret-env: required: the variable holding the webhook signing secret\n'],
      [['verify-webhook', '--secret-env', 'WEBHOOK_SECRET', '--secret-env', 'GONE', '--signature', 'ab'], SECRETS, 'warden: --secret-env: GONE is not set (or is empty): export the secret in it\n'],
    ];
    const runs = await Promise.all(cases.map(([args, vars]) => run(args, vars, 'body')));
    for (const [i, [args, , stderr]] of cases.entries()) expect(runs[i], args.join(' ')).toMatchObject({ code: 2, stdout: '', stderr });
    expect(await run(['webhook'], SECRETS, 'body')).toMatchObject({ code: 2, stdout: '', stderr: "warden: required option '--secret-env <VAR>' not specified\n" });
  });

  it('is never echoed, even when given in place of a variable name', async () => {
    const result = await run(['webhook', '--secret-env', WEBHOOK_SECRET], SECRETS, 'body');
    expect(result).toMatchObject({ code: 2, stdout: '', stderr: 'warden: --secret-env: takes the name of an environment variable (capitals, digits and _), not the secret itself\n' });
  });
});

describe('no database', () => {
  it('was opened by any of the runs above, nor anything written in their folder, and no secret printed', () => {
    expect(outputs.length).toBeGreaterThan(30);
    expect(readdirSync(cwd)).toEqual([]);
    const all = outputs.join('\n');
    expect(all).not.toContain('SECRET-');
    expect(all).not.toMatch(/ledger|DATABASE_URL|REDIS_URL|ECONNREFUSED/);
  });
});

describe('the package export warden/webhook-verifier', () => {
  it('resolves by name to the built verifier, as a tenant’s receiver imports it; deep imports are closed', () => {
    // The private build's tree gets the package's manifest: its `exports` then apply to that build.
    const tree = dirname(dirname(BIN));
    copyFileSync(join(ROOT, 'package.json'), join(tree, 'package.json'));
    const body = '{"id":"evt_2"}';
    const script = [
      "import { verifyWebhook } from 'warden/webhook-verifier';",
      `const body = Buffer.from(${JSON.stringify(body)});`,
      `const verdict = verifyWebhook(body, ${JSON.stringify(hmac('old', body))}, ['new', 'old']);`,
      "const refused = verifyWebhook(body, undefined, ['new']);",
      'console.log(JSON.stringify([verdict, refused]));',
    ].join('\n');
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: tree, encoding: 'utf8' });
    expect(JSON.parse(out)).toEqual([{ ok: true, index: 1 }, { ok: false, reason: 'missing-signature' }]);
    const deep = "import('warden/dist/src/cli/main.js').then(() => console.log('open'), (e) => console.log(e.code))";
    expect(execFileSync(process.execPath, ['--input-type=module', '-e', deep], { cwd: tree, encoding: 'utf8' }).trim()).toBe('ERR_PACKAGE_PATH_NOT_EXPORTED');
    // And the binary still runs from that tree.
    expect(execFileSync(process.execPath, [BIN, '--version'], { cwd: tree, encoding: 'utf8' }).trim()).toBe('0.1.0');
  });
});
