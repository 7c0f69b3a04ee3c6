/**
 * bull-board's one HTML page (node_modules/@bull-board/ui/dist/index.ejs),
 * made to run under a CSP as strict as the rest of Warden's: the page carries
 * a `<style>` element and `style` attributes (its "Loading" placeholder),
 * which Warden's CSP (no inline style) would block, and a stylesheet from
 * Google Fonts, which would leak every admin's visits to a third party.
 * {@link boardPage} drops the font link (the board falls back to system
 * fonts) and gives the page a CSP that allows exactly its own inline styles
 * and those its scripts insert, by hash: nothing else inline, no script but
 * the board's own files.
 * docs/operations.md "Serving" names this exception.
 */
import { createHash } from 'node:crypto';

const FONT_LINK = /<link\b[^>]*\bhref="https:\/\/fonts\.googleapis\.com\/[^"]*"[^>]*>\s*/g;
const STYLE_ELEMENT = /<style\b[^>]*>([\s\S]*?)<\/style>/g;
const STYLE_ATTRIBUTE = /\sstyle="([^"]*)"/g;

function sha256(text: string): string {
  return `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
}

/** An attribute's value as the browser hashes it: after its character references are decoded. */
function decodeAttribute(value: string): string {
  return value.replace(/&(quot|#39|apos|lt|gt|amp);/g, (_, e: string) => ({ quot: '"', '#39': "'", apos: "'", lt: '<', gt: '>', amp: '&' })[e]!);
}

/**
 * The `<style>` elements bull-board's own scripts insert once the page runs
 * (so they are not in the page to hash): the Redis logo of its header (an SVG
 * with a `<style>` of its own) and base-ui's scrollbar hider. Word for word
 * from @bull-board/ui 9.10's bundle; test/unit/http/board-page.test.ts checks
 * they are still there, and the Chromium test of the board fails on any style
 * the policy blocks, so an upgrade that changes them is caught.
 */
export const SCRIPT_STYLES: readonly string[] = [
  '\n      .rds-b1 {fill: #ae7d83}\n      .rds-b2 {fill: #c29ea2}\n      .rds-b3 {fill: #e2d0d2}\n\n      .dark-mode .rds-b1 {fill: #a26169}\n      .dark-mode .rds-b2 {fill: #7b4a50}\n      .dark-mode .rds-b3 {fill: #514042}\n    ',
  '.base-ui-disable-scrollbar{scrollbar-width:none}.base-ui-disable-scrollbar::-webkit-scrollbar{display:none}',
];

export interface BoardPage {
  html: string;
  /** The page's Content-Security-Policy. */
  csp: string;
}

export function boardPage(page: string): BoardPage {
  const html = page.replace(FONT_LINK, '');
  const elements = [...new Set([...[...html.matchAll(STYLE_ELEMENT)].map((m) => m[1]!), ...SCRIPT_STYLES].map(sha256))];
  const attributes = [...new Set([...html.matchAll(STYLE_ATTRIBUTE)].map((m) => sha256(decodeAttribute(m[1]!))))];
  const directives = [
    "default-src 'self'",
    "script-src 'self'",
    ['style-src', "'self'", ...elements].join(' '),
    // 'unsafe-hashes' lets the listed hashes match style attributes too: these, and no other.
    attributes.length === 0 ? "style-src-attr 'none'" : ['style-src-attr', "'unsafe-hashes'", ...attributes].join(' '),
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "worker-src 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    // The page resolves its files against <base href="/admin/queues/">, which base-uri 'none' would refuse.
    "base-uri 'self'",
    "object-src 'none'",
  ];
  return { html, csp: directives.join('; ') };
}
