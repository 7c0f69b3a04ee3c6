// The queue dashboard's page under its own CSP (src/http/board-page.ts), and
// how its actions are named in the audit log (src/http/queues-board.ts).
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { boardPage, SCRIPT_STYLES } from '../../../src/http/board-page.js';
import { queueActionOf } from '../../../src/http/queues-board.js';

const UI = join(dirname(createRequire(import.meta.url).resolve('@bull-board/ui/package.json')), 'dist');
const hash = (s: string) => `'sha256-${createHash('sha256').update(s).digest('base64')}'`;

function directive(csp: string, name: string): string[] {
  const found = csp.split('; ').find((d) => d.split(' ')[0] === name);
  if (found === undefined) throw new Error(`no ${name} in ${csp}`);
  return found.split(' ').slice(1);
}

describe('boardPage', () => {
  const page = `<html><head><link href="https://fonts.googleapis.com/css2?family=IBM+Plex+Sans&display=swap" rel="stylesheet">
<link href="static/css/main.css" rel="stylesheet"></head><body><div id="root"><div style="display:flex;font-family:'IBM Plex Sans'">Loading</div>
<span title="a &amp; b" style="color:&quot;red&quot;"></span><style>@keyframes p{0%{opacity:0}}</style></div></body></html>`;

  it('drops the third-party font stylesheet and keeps the rest of the page as it was', () => {
    const { html } = boardPage(page);
    expect(html).not.toContain('googleapis');
    expect(html).toBe(page.replace(/<link href="https:\/\/fonts[^>]*>\n/, ''));
  });

  it('allows by hash exactly the page’s inline styles and those the board’s scripts insert: no unsafe-inline, no inline script', () => {
    const { csp } = boardPage(page);
    expect(csp).not.toContain('unsafe-inline');
    expect(directive(csp, 'script-src')).toEqual(["'self'"]);
    expect(directive(csp, 'style-src')).toEqual(["'self'", hash('@keyframes p{0%{opacity:0}}'), ...SCRIPT_STYLES.map(hash)]);
    // Attribute values are hashed as the browser reads them, character references decoded.
    expect(directive(csp, 'style-src-attr')).toEqual(["'unsafe-hashes'", hash("display:flex;font-family:'IBM Plex Sans'"), hash('color:"red"')]);
    expect(directive(csp, 'base-uri')).toEqual(["'self'"]);
    expect(directive(csp, 'frame-ancestors')).toEqual(["'none'"]);
    expect(directive(csp, 'connect-src')).toEqual(["'self'"]);
  });

  it('refuses every style attribute on a page that has none', () => {
    expect(directive(boardPage('<html><body></body></html>').csp, 'style-src-attr')).toEqual(["'none'"]);
  });

  it('names styles the installed bull-board’s scripts really insert (an upgrade that changes them fails here)', () => {
    const js = readdirSync(join(UI, 'static/js'), { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.js'))
      .map((f) => readFileSync(join(UI, 'static/js', f), 'utf8'))
      .join('\n');
    // As the bundle spells them (base-ui's class name interpolated); booleans, not toContain: the bundle is megabytes.
    expect(js.includes(`(0,n.jsx)("style",{children:\`${SCRIPT_STYLES[0]}\`})`)).toBe(true);
    expect(js.includes('let l="base-ui-disable-scrollbar"')).toBe(true);
    expect(js.includes('children:`.${l}{scrollbar-width:none}.${l}::-webkit-scrollbar{display:none}`')).toBe(true);
    expect(SCRIPT_STYLES[1]).toBe('.base-ui-disable-scrollbar{scrollbar-width:none}.base-ui-disable-scrollbar::-webkit-scrollbar{display:none}');
  });

  it('makes the installed bull-board page hash-clean: its only inline styles are hashed, its font link gone', () => {
    const template = readFileSync(join(UI, 'index.ejs'), 'utf8');
    const { html, csp } = boardPage(template);
    expect(html).not.toMatch(/https?:\/\//);
    const attrs = [...html.matchAll(/\sstyle="([^"]*)"/g)].map((m) => hash(m[1]!));
    expect(attrs.length).toBeGreaterThan(0);
    for (const a of attrs) expect(directive(csp, 'style-src-attr')).toContain(a);
    // No inline script that would run: the one <script> without src is a JSON data block.
    const inline = [...html.matchAll(/<script\b([^>]*)>/g)].filter((m) => !/\bsrc=/.test(m[1]!));
    expect(inline.map((m) => m[1])).toEqual([' id="__UI_CONFIG__" type="application/json"']);
  });
});

describe('queueActionOf', () => {
  const base = '/admin/queues/api/queues';
  it.each([
    ['PUT', `${base}/pause`, {}, { what: 'pause', queue: null, details: {} }],
    ['PUT', `${base}/:queueName/pause`, { queueName: 'digest' }, { what: 'pause', queue: 'digest', details: {} }],
    ['PUT', `${base}/:queueName/clean/:queueStatus`, { queueName: 'digest', queueStatus: 'failed' }, { what: 'clean', queue: 'digest', details: { state: 'failed' } }],
    ['PUT', `${base}/:queueName/:jobId/retry`, { queueName: 'digest', jobId: '42' }, { what: 'job_retry', queue: 'digest', details: { job: '42' } }],
    ['PATCH', `${base}/:queueName/:jobId/update-data`, { queueName: 'digest', jobId: '42' }, { what: 'job_update_data', queue: 'digest', details: { job: '42' } }],
    ['PUT', `${base}/:queueName/rate-limit/release`, { queueName: 'digest' }, { what: 'rate_limit_release', queue: 'digest', details: {} }],
    ['PATCH', `${base}/:queueName/job-schedulers/:schedulerId`, { queueName: 'digest', schedulerId: 's1' }, { what: 'job_schedulers_update', queue: 'digest', details: { scheduler: 's1' } }],
    ['PUT', `${base}/:queueName/job-schedulers/:schedulerId/remove`, { queueName: 'digest', schedulerId: 's1' }, { what: 'job_schedulers_remove', queue: 'digest', details: { scheduler: 's1' } }],
    ['POST', `${base}/:queueName/add`, { queueName: 'digest' }, { what: 'add', queue: 'digest', details: {} }],
  ])('%s %s', (method, route, params, expected) => {
    expect(queueActionOf(method, route, params)).toEqual(expected);
  });
});
