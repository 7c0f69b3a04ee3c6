/**
 * The sign-in email: the one-time link and, beside it, the typed code for
 * another device. It says plainly that opening the link signs nobody in: the
 * button on its page does (mail scanners open links).
 */
import { printable } from '../../text/sanitize.js';
import { escapeHtml } from './html.js';

export interface SignInMail {
  /** The person's name, or '' when none was given. */
  name: string;
  url: string;
  code: string;
  minutes: number;
}

/**
 * The mail in both parts. Only the greeting differs from one person to
 * another (besides the link and the code): the name is shown as one printable
 * line (src/text/sanitize.ts) and escaped in HTML, so a name cannot add lines
 * or markup of its own.
 */
export function renderSignInMail(m: SignInMail): { subject: string; text: string; html: string } {
  const name = printable(m.name.trim());
  const greeting = name === '' ? 'Hello,' : `Hello ${name},`;
  const text = [
    greeting,
    '',
    'Someone asked to sign in to Warden with this address. To sign in, open this link and press "Sign in":',
    '',
    m.url,
    '',
    `Or type this code on the sign-in page of the browser where you asked: ${m.code}`,
    '',
    `The link and the code work once, for ${m.minutes} minutes. If you did not ask, ignore this email: nothing happens until the button is pressed.`,
    '',
  ].join('\n');
  const html = `<!doctype html><html lang="en"><body>
<p>${escapeHtml(greeting)}</p>
<p>Someone asked to sign in to Warden with this address. To sign in, open this link and press “Sign in”:</p>
<p><a href="${escapeHtml(m.url)}">Open the sign-in page</a></p>
<p>Or type this code on the sign-in page of the browser where you asked: <strong>${escapeHtml(m.code)}</strong></p>
<p>The link and the code work once, for ${m.minutes} minutes. If you did not ask, ignore this email: nothing happens until the button is pressed.</p>
</body></html>`;
  return { subject: 'Your Warden sign-in link', text, html };
}
