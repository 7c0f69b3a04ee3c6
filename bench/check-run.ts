/**
 * One measurement in a fresh process, so each gets its own heap and peak RSS:
 *   node dist/bench/check-run.js parse FILE   read + bare JSON.parse
 *   node dist/bench/check-run.js check FILE   the whole `warden check --format json`
 * Prints one JSON line: { ms, cpuMs, maxRssMb, findings?, outputBytes, auditMs?, outputMs? }: `cpuMs` is the
 * process's user and system time from the start of the measurement (GC threads included); for a check,
 * `auditMs` is reading, validating and the rules (runCheck), `outputMs` writing the JSON (emit) to a
 * counting sink.
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
const cpuStart = process.cpuUsage();
let findings: number | undefined;
let auditMs: number | undefined;
if (mode === 'parse') {
  JSON.parse(await readFile(file, 'utf8'));
} else {
  const io = { ...processIo(), stdout: sink };
  const result = await runCheck({ snapshot: file, format: 'json', asOf: '2026-11-29T00:00:00Z' }, io);
  auditMs = performance.now() - started;
  await emit(result, 'json', io);
  findings = result.findings.length;
}
const ms = performance.now() - started;
const cpu = process.cpuUsage(cpuStart);
const cpuMs = (cpu.user + cpu.system) / 1000;
const outputMs = auditMs === undefined ? undefined : ms - auditMs;
const maxRssMb = process.resourceUsage().maxRSS / 1024;
console.log(JSON.stringify({ ms, cpuMs, maxRssMb, findings, outputBytes: bytes, auditMs, outputMs }));
