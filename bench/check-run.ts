/**
 * One measurement in a fresh process, so each gets its own heap and peak RSS:
 *   node dist/bench/check-run.js parse FILE   read + bare JSON.parse
 *   node dist/bench/check-run.js check FILE   the whole `warden check --format json`
 * Prints one JSON line: { ms, maxRssMb, findings? }.
 */
import { readFile } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { emit, runCheck } from '../src/cli/commands/check.command.js';
import { processIo } from '../src/cli/io.js';

const [mode, file] = process.argv.slice(2);
if ((mode !== 'parse' && mode !== 'check') || !file) {
  console.error('usage: check-run.js parse|check FILE');
  process.exit(2);
}

let bytes = 0;
const sink = new Writable({
  write(chunk: Buffer, _enc, done) {
    bytes += chunk.length;
    done();
  },
});

const started = performance.now();
let findings: number | undefined;
if (mode === 'parse') {
  JSON.parse(await readFile(file, 'utf8'));
} else {
  const io = { ...processIo(), stdout: sink };
  const result = await runCheck({ snapshot: file, format: 'json', asOf: '2026-11-29T00:00:00Z' }, io);
  await emit(result, 'json', io);
  findings = result.findings.length;
}
const ms = performance.now() - started;
const maxRssMb = process.resourceUsage().maxRSS / 1024;
console.log(JSON.stringify({ ms, maxRssMb, findings, outputBytes: bytes }));
