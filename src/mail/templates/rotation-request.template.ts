/**
 * The admins' email when a rotation has made a new value that someone must
 * install (docs/architecture.md "Secret rotation"): what to do for this kind
 * of secret, and a link to read the value once, valid for an hour. Never the
 * value itself, never a token.
 */
import { printable } from '../../text/sanitize.js';
import { escapeHtml } from './html.js';

export interface RotationRequestMail {
  tenant: string;
  secret: string;
  kind: 'webhook-signing' | 'barcode' | 'api-token' | 'machine-password';
  rotation: number;
  /** How long the previous value stays accepted once the rotation finishes, in hours (0: an emergency, or a password). */
  overlapHours: number;
  /** The one-time retrieval page (an hour, once, for this admin). */
  retrieval: string;
  /** When the link expires, ISO instant. */
  expires: string;
  /** The secrets page, where a new link can be asked for. */
  page: string;
}

function steps(m: RotationRequestMail): string[] {
  const keep = m.overlapHours > 0 ? `Warden keeps accepting the current value until the new one is seen working, then for ${m.overlapHours} h more.` : 'This is an emergency rotation: the current value is retired the moment the new one is seen working.';
  switch (m.kind) {
    case 'webhook-signing':
      return [
        `Ask the platform's support to change the webhook signing secret of ${m.tenant} to the new value, through their secure channel (never by plain email).`,
        'Nothing else to do: Warden finishes the rotation when it receives a delivery signed with the new value.',
        keep,
      ];
    case 'barcode':
      return [
        `Ask the platform's support to accept the new barcode secret of ${m.tenant} alongside the current one, through their secure channel (never by plain email).`,
        'Update the apps that make barcode links to sign with the new value. Warden finishes the rotation when the barcode service accepts a link signed with it.',
        `${keep} After that, support may drop the old value.`,
      ];
    case 'api-token':
      return [
        `A new API token for the integration "${m.secret}" was made on the platform, with the same name and scopes as its current one.`,
        'Install it in the integration. Warden finishes the rotation when the platform sees the integration use it, and revokes the old token at the end of the overlap.',
        keep,
      ];
    case 'machine-password':
      return [
        `The password of the machine user of "${m.secret}" was changed on the platform; the old one no longer works.`,
        'Install the new one wherever that user signs in.',
      ];
  }
}

export function renderRotationRequest(m: RotationRequestMail): { subject: string; text: string; html: string } {
  const safe = { ...m, tenant: printable(m.tenant), secret: printable(m.secret) };
  const headline = `Warden is rotating the ${safe.kind} secret "${safe.secret}" of ${safe.tenant} (rotation #${m.rotation}).`;
  const todo = steps(safe);
  const link = `Read the new value once, within the hour (until ${m.expires}): ${m.retrieval}`;
  const again = `A link that expired or was used: ask for a new one on ${m.page}`;
  const text = [headline, '', link, '', ...todo.map((s, i) => `${i + 1}. ${s}`), '', again, ''].join('\n');
  const html = `<!doctype html><html lang="en"><body>
<p>${escapeHtml(headline)}</p>
<p><a href="${escapeHtml(m.retrieval)}">Read the new value once</a>, within the hour (until ${escapeHtml(m.expires)}).</p>
<ol>${todo.map((s) => `<li>${escapeHtml(s)}</li>`).join('')}</ol>
<p>A link that expired or was used: ask for a new one on <a href="${escapeHtml(m.page)}">the secrets page</a>.</p>
</body></html>`;
  return { subject: `[Warden] ${safe.tenant}: new ${safe.kind} secret "${safe.secret}" to install`, text, html };
}

/** An admin asked for a new link to a secret's value (the secrets page). */
export interface RetrievalLinkMail {
  tenant: string;
  secret: string;
  version: number;
  /** `pending` during a rotation, else `current`. */
  label: string;
  retrieval: string;
  expires: string;
  page: string;
}

export function renderRetrievalLink(m: RetrievalLinkMail): { subject: string; text: string; html: string } {
  const tenant = printable(m.tenant);
  const secret = printable(m.secret);
  const headline = `You asked for a link to the ${m.label} value of the secret "${secret}" of ${tenant} (version ${m.version}).`;
  const note = 'It opens once, within the hour, and reading it is written to the audit log. If you did not ask for it, tell your Warden administrator.';
  const text = [headline, '', `Read it once, until ${m.expires}: ${m.retrieval}`, '', note, '', `The secrets page: ${m.page}`, ''].join('\n');
  const html = `<!doctype html><html lang="en"><body>
<p>${escapeHtml(headline)}</p>
<p><a href="${escapeHtml(m.retrieval)}">Read it once</a>, until ${escapeHtml(m.expires)}.</p>
<p>${escapeHtml(note)}</p>
<p><a href="${escapeHtml(m.page)}">The secrets page</a></p>
</body></html>`;
  return { subject: `[Warden] ${tenant}: your link to the secret "${secret}"`, text, html };
}
