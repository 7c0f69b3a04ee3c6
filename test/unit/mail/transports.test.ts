// The pure parts of the transports: SMTP_URL parsing, outbox file names, env config.
import { describe, expect, it } from 'vitest';
import { InputError } from '../../../src/errors.js';
import { createMailer, mailerConfigOf, outboxFileName, parseSmtpUrl } from '../../../src/mail/transports.js';

describe('parseSmtpUrl', () => {
  it('reads host, port, TLS mode and percent-encoded credentials', () => {
    expect(parseSmtpUrl('smtp://me%40x.test:p%40ss%2Fw@mail.example.com')).toEqual({
      host: 'mail.example.com', port: 587, secure: false, tls: 'required', auth: { user: 'me@x.test', pass: 'p@ss/w' },
    });
    expect(parseSmtpUrl('smtps://u:p@mail.example.com')).toMatchObject({ port: 465, secure: true, tls: 'none' });
    expect(parseSmtpUrl('smtp://catcher:1025?tls=none')).toMatchObject({ port: 1025, tls: 'none', auth: undefined });
    expect(parseSmtpUrl('smtp://[::1]:2525?tls=opportunistic')).toMatchObject({ host: '::1', port: 2525, tls: 'opportunistic' });
  });

  it('rejects a bad URL with an InputError on SMTP_URL that never quotes the password', () => {
    const bad = [
      'http://u:hunter2@mail.example.com',
      'not a url hunter2',
      'smtp://u:hunter2@mail.example.com?tls=maybe',
      'smtp://u:hunter2@mail.example.com?secure=true',
      'smtps://u:hunter2@mail.example.com?tls=none',
      'smtp://u:hunter2%zz@mail.example.com',
    ];
    for (const url of bad) {
      const err = (() => {
        try {
          parseSmtpUrl(url);
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(err, url).toBeInstanceOf(InputError);
      expect((err as InputError).path).toBe('SMTP_URL');
      expect((err as Error).message).not.toContain('hunter2');
    }
  });

  it('describes the SMTP destination without credentials', () => {
    const mailer = createMailer({ smtpUrl: 'smtps://u:hunter2@mail.example.com:2465' });
    expect(mailer.transport).toBe('smtp');
    expect(mailer.destination).toBe('smtps://mail.example.com:2465');
    mailer.close();
  });
});

describe('outboxFileName', () => {
  it('sorts by time, then by order within one millisecond, and is unique', () => {
    const t = new Date('2026-11-29T09:30:00.123Z');
    const names = [outboxFileName(t), outboxFileName(t), outboxFileName(new Date('2026-11-29T09:30:00.124Z'))];
    expect(names[0]).toMatch(/^20261129T093000123Z-\d{6}-[0-9a-f]{8}\.eml$/);
    expect([...names].sort()).toEqual(names);
    expect(new Set(names).size).toBe(3);
  });
});

describe('mailerConfigOf', () => {
  it('takes SMTP_URL and WARDEN_OUTBOX, treating empty as unset', () => {
    expect(mailerConfigOf({ SMTP_URL: 'smtp://h', WARDEN_OUTBOX: '/o' })).toEqual({ smtpUrl: 'smtp://h', outboxDir: '/o' });
    expect(mailerConfigOf({ SMTP_URL: '' })).toEqual({ smtpUrl: undefined, outboxDir: undefined });
    expect(createMailer(mailerConfigOf({})).transport).toBe('outbox');
  });
});
