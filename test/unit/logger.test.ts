import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log/logger.js';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { lines, log: createLogger({ level: 'info' }, stream) };
}

describe('logger redaction', () => {
  it('censors tokens, secrets, passwords, emails and authorization headers up to two levels down', () => {
    const { lines, log } = capture();
    log.info(
      {
        token: 'tok-root-SECRET',
        request: { headers: { authorization: 'Bearer tok-header-SECRET' } },
        person: { email: 'ann@customer.example', profile: { email: 'deep@customer.example' } },
        secret: { value: 'whsec-SECRET' },
        db: { password: 'pw-SECRET' },
      },
      'something happened',
    );
    const text = lines.join('');
    for (const leaked of ['tok-root-SECRET', 'tok-header-SECRET', 'ann@customer.example', 'deep@customer.example', 'whsec-SECRET', 'pw-SECRET']) {
      expect(text).not.toContain(leaked);
    }
    expect(text).toContain('something happened');
    expect(text).toContain('[redacted]');
  });

  it('child loggers redact too', () => {
    const { lines, log } = capture();
    log.child({ run: 'r1', kind: 'digest', tenant: 'acme' }).warn({ attempt: { token: 'tok-child-SECRET' } }, 'retrying');
    expect(lines.join('')).not.toContain('tok-child-SECRET');
    expect(lines.join('')).toContain('"tenant":"acme"');
  });
});
