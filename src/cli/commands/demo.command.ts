/** `warden demo`: the main job on embedded defaults (see src/demo/run-demo.ts). */
import type { Command } from 'commander';
import { formatDemoReport, runDemo } from '../../demo/run-demo.js';
import { InputError } from '../../errors.js';
import { EXIT, write, type CliIo } from '../io.js';
import { configOf } from '../ledger.js';

export function registerDemo(program: Command, io: CliIo, setExit: (code: number) => void): void {
  program
    .command('demo')
    .description('audit a simulated tenant end to end: simulator, ledger, every audit job, digest email')
    .option('--format <format>', 'text or json', 'text')
    .action(async (opts: { format: string }) => {
      if (opts.format !== 'text' && opts.format !== 'json') throw new InputError('--format', 'expected text or json');
      const report = await runDemo(configOf(io), io);
      await write(io.stdout, opts.format === 'json' ? `${JSON.stringify(report, null, 2)}\n` : formatDemoReport(report));
      if (report.runs.some((r) => r.status === 'failed')) setExit(EXIT.failure);
    });
}
