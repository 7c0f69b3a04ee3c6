import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';

describe('loadConfig', () => {
  it('gives the embedded defaults with nothing set', () => {
    expect(loadConfig({})).toEqual({
      WARDEN_OUTBOX: './outbox',
      WARDEN_DATA_DIR: './.warden',
      WARDEN_MAIL_FROM: 'Warden <warden@localhost>',
      LOG_LEVEL: 'info',
    });
  });

  it('takes valid URLs and treats empty strings as unset', () => {
    const config = loadConfig({ DATABASE_URL: 'postgres://u@db:5432/warden', REDIS_URL: 'redis://redis:6379', SMTP_URL: '' });
    expect(config.DATABASE_URL).toBe('postgres://u@db:5432/warden');
    expect(config.REDIS_URL).toBe('redis://redis:6379');
    expect(config.SMTP_URL).toBeUndefined();
  });

  it('lists every bad variable in one error, without echoing values', () => {
    let error: unknown;
    try {
      loadConfig({ DATABASE_URL: 'mysql://root:hunter2@db/x', REDIS_URL: 'nope', LOG_LEVEL: 'loud', SMTP_URL: 'smtps://a:b@mail:465' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems).toEqual([
      'DATABASE_URL: not a postgres:// or postgresql:// URL',
      'REDIS_URL: not a redis:// or rediss:// URL',
      'LOG_LEVEL: expected one of fatal, error, warn, info, debug, trace, silent',
    ]);
    expect((error as Error).message).not.toContain('hunter2');
  });

  it('checks the secret key and the queue prefix with the rest', () => {
    const key = Buffer.alloc(32, 7).toString('base64');
    expect(loadConfig({ WARDEN_SECRET_KEY: key, WARDEN_QUEUE_PREFIX: 'warden-prod' })).toMatchObject({ WARDEN_SECRET_KEY: key });
    let error: unknown;
    try {
      loadConfig({ WARDEN_SECRET_KEY: 'c2hvcnQ=', WARDEN_QUEUE_PREFIX: 'a b' });
    } catch (err) {
      error = err;
    }
    expect((error as ConfigError).problems).toEqual([
      'WARDEN_QUEUE_PREFIX: use letters, digits, dot, dash or underscore',
      'WARDEN_SECRET_KEY: must be 32 bytes, base64-encoded',
    ]);
  });

  it('takes the previous key as WARDEN_OLD_SECRET_KEY, checked like the key, never the key itself again', () => {
    const key = Buffer.alloc(32, 7).toString('base64');
    const old = Buffer.alloc(32, 8).toString('base64');
    expect(loadConfig({ WARDEN_SECRET_KEY: key, WARDEN_OLD_SECRET_KEY: old })).toMatchObject({ WARDEN_SECRET_KEY: key, WARDEN_OLD_SECRET_KEY: old });
    const problems = (env: Record<string, string>): string[] => {
      try {
        loadConfig(env);
      } catch (err) {
        return (err as ConfigError).problems;
      }
      return [];
    };
    // Sloppy base64 (a space) decodes to 32 bytes with Buffer.from: refused, and never echoed.
    const sloppy = `${old.slice(0, 10)} ${old.slice(10)}`;
    expect(problems({ WARDEN_SECRET_KEY: key, WARDEN_OLD_SECRET_KEY: sloppy })).toEqual(['WARDEN_OLD_SECRET_KEY: must be 32 bytes, base64-encoded']);
    expect(problems({ WARDEN_SECRET_KEY: key, WARDEN_OLD_SECRET_KEY: key })).toEqual(['WARDEN_OLD_SECRET_KEY: is the same key as WARDEN_SECRET_KEY; give the previous key, or unset it']);
    expect(JSON.stringify(problems({ WARDEN_SECRET_KEY: key, WARDEN_OLD_SECRET_KEY: key }))).not.toContain(key);
    expect(loadConfig({ WARDEN_OLD_SECRET_KEY: '' }).WARDEN_OLD_SECRET_KEY).toBeUndefined();
  });

  it('reads WARDEN_ALLOW_PRIVATE_NETWORKS as a list of textbook CIDRs', () => {
    expect(loadConfig({ WARDEN_ALLOW_PRIVATE_NETWORKS: '10.20.0.0/16, fd00:1::/32,192.168.4.7' }).WARDEN_ALLOW_PRIVATE_NETWORKS).toEqual(['10.20.0.0/16', 'fd00:1::/32', '192.168.4.7']);
    expect(loadConfig({}).WARDEN_ALLOW_PRIVATE_NETWORKS).toBeUndefined();
    for (const bad of ['10.1/8', '10.0.0.0/33', '10.0.0.0/8/1', 'fd00::/129', 'intranet', '10.0.0.0/8,']) {
      expect(() => loadConfig({ WARDEN_ALLOW_PRIVATE_NETWORKS: bad }), bad).toThrow('WARDEN_ALLOW_PRIVATE_NETWORKS: expected CIDR,CIDR, e.g. 10.20.0.0/16,fd00:1::/32');
    }
  });
});
