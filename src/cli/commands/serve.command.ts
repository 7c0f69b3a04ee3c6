/**
 * `warden serve`: the web app and JSON API until SIGTERM/SIGINT.
 *
 * With `DATABASE_URL` it serves, and enqueues the runs its pages ask for
 * (remediation of approvals): with `REDIS_URL` the fleet's workers (`warden
 * worker`) run them; without it they run in this process. On the embedded ledger (no `DATABASE_URL`) the PGlite
 * files belong to one process, so this one also runs the schedules, and, when
 * the ledger holds `warden demo`'s tenant, a simulator for it: after
 * `warden demo`, `warden serve` shows the demo's ledger and keeps auditing it.
 * There it also prints a sign-in link for the first admin (a link printed in
 * a terminal, spent by its page's button; see docs/architecture.md "Signing in").
 */
import type { Command } from 'commander';
import { issueTerminalLink } from '../../app/sign-in.js';
import { startDemoSimulator, type DemoSimulator } from '../../app/serve-demo.js';
import { readVariable } from '../../config.js';
import { firstAdmin } from '../../db/people.repository.js';
import { InputError } from '../../errors.js';
import { buildServer, type WebServer } from '../../http/server.js';
import { printable } from '../../text/sanitize.js';
import { write, type CliIo } from '../io.js';
import { configOf, withApp } from '../ledger.js';
import { untilStop } from './worker.command.js';

interface ServeOptions {
  port: string;
  host: string;
}

/** The port `warden serve` listens on unless told. */
export const DEFAULT_PORT = 8080;

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65_535) throw new InputError('--port', 'expected a port number, 0 to 65535');
  return n;
}

export function registerServe(program: Command, io: CliIo): void {
  program
    .command('serve')
    .description('serve the web app and the JSON API (on the embedded ledger, also run the schedules) until SIGTERM')
    .option('--port <n>', 'port to listen on (0: any free port)', String(DEFAULT_PORT))
    .option('--host <addr>', 'address to listen on (0.0.0.0 in a container)', '127.0.0.1')
    .action(async (opts: ServeOptions) => {
      const listenPort = port(opts.port);
      const config = configOf(io);
      const embedded = config.DATABASE_URL === undefined;
      const stop = untilStop(readVariable(io.env, 'npm_command') !== undefined);
      let sim: DemoSimulator | undefined;
      try {
        sim = embedded ? await startDemoSimulator() : undefined;
        await withApp(
          io,
          async (app) => {
            // Approvals decided on the web need their remediation runs enqueued: with Redis this
            // process only enqueues (the fleet's workers run them); in process it runs them too.
            const runner = await app.openRunner({ work: embedded, schedules: embedded });
            let web: WebServer | undefined;
            try {
              web = await buildServer(app, { runner });
              const address = await web.listen(listenPort, opts.host);
              const demo = sim !== undefined && (await sim.adopt(app.database.db));
              if (!demo) await sim?.close().then(() => (sim = undefined));
              const lines = [`Warden is serving ${address}`];
              if (embedded) {
                lines.push(`The schedules run in this process${demo ? ', and a simulator stands in for the demo tenant’s platform' : ''}.`);
                const admin = await firstAdmin(app.database.db);
                if (admin !== undefined) {
                  const link = await issueTerminalLink(app.database.db, web.ctx.key, admin.email, web.ctx.publicUrl());
                  lines.push(`Sign in as ${admin.email} (works once, for 15 minutes):`, `  ${link.url}`);
                } else {
                  lines.push('No one can sign in yet: add a person with `warden people add EMAIL --role admin`.');
                }
              }
              await write(io.stdout, `${lines.map(printable).join('\n')}\n`);
              app.log.info({ signal: await stop.reason }, 'stopping');
            } finally {
              await web?.close();
              await runner.close();
            }
          },
          { sendsMail: true, ...(sim === undefined ? {} : { variables: sim.variables }) },
        );
      } finally {
        stop.dispose();
        await sim?.close();
      }
    });
}
