/**
 * The approve and reject links of an approval email (docs/architecture.md
 * "Approvals and remediation"): public pages, since the signed link is the
 * credential. `GET /approvals/link/:token` checks the link and shows what it
 * will do (approve or reject, the item, its impact) and a confirming button:
 * opening it decides nothing, so a mail scanner following links decides
 * nothing. `POST` (the button, with the anonymous or session CSRF token like
 * the sign-in forms) spends the link and decides. A signed-in person who is
 * not the admin it was sent to is refused by the action.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { previewApprovalLink, redeemApprovalLink, type LinkPreview } from '../../app/approvals.js';
import { approvalDeps } from '../api/approvals.api.js';
import type { WebContext } from '../context.js';
import { html, type SafeHtml } from '../html.js';
import { kindText } from '../../approvals/kinds.js';
import { approvalFacts, approvalPath, impactSection } from './approvals.page.js';
import { csrfField, renderPage } from './layout.js';

const LinkParams = z.object({ token: z.string().min(1).max(300) });
const ConfirmFormSchema = z.object({ _csrf: z.string().optional(), comment: z.string().max(10_000).optional() });

/** The page holds the token: no other site learns it from a Referer, and no cache keeps it. */
function private_(reply: FastifyReply): FastifyReply {
  return reply.header('referrer-policy', 'no-referrer').header('cache-control', 'no-store').type('text/html; charset=utf-8');
}

function confirmBody(req: FastifyRequest, reply: FastifyReply, preview: LinkPreview, token: string): SafeHtml {
  const a = preview.approval;
  const approve = preview.link.decision === 'approved';
  const form =
    a.status !== 'pending'
      ? html`<p class="notice" role="status">This approval is ${a.status}: there is nothing left to decide here.</p>`
      : html`<form method="post" action="/approvals/link/${token}" class="card stacked" aria-label="${approve ? 'Confirm the approval' : 'Confirm the rejection'}">
${csrfField(req, reply)}
<p>${approve
  ? 'Press the button to approve. Warden then re-checks the live state, acts, and verifies the result. The link then stops working.'
  : 'Say why, then press the button to reject. Nothing will be done, and the link then stops working.'}</p>
<label for="comment">${approve ? 'Comment (optional)' : 'Why reject (required)'}</label>
<textarea id="comment" name="comment" rows="3" cols="60" maxlength="2000"${approve ? '' : html` required`}></textarea>
<div><button type="submit"${approve ? '' : html` class="secondary"`}>${approve ? 'Confirm approval' : 'Confirm rejection'}</button></div>
</form>`;
  return html`<p>This link was sent to ${preview.sentTo}. It ${approve ? 'approves' : 'rejects'}: <strong>${kindText(a.kind).toLowerCase()} ${a.subject.label}</strong> in ${a.tenant} (${a.rule}).</p>
<h2 id="impact-h">Impact</h2>
${impactSection(a)}
${form}
${approvalFacts(a)}`;
}

const RESULT: Readonly<Record<string, { title: string; text: string }>> = {
  approved: { title: 'Approved', text: 'Approved. Warden re-checks the live state right before acting, acts, then verifies: the approval’s page shows each step.' },
  rejected: { title: 'Rejected', text: 'Rejected: nothing will be done.' },
  first_approval: { title: 'First approval recorded', text: 'Your approval is recorded. The tenant is over its daily cap of removals: a second admin must approve too.' },
};

export function registerApprovalLinkPages(server: FastifyInstance, ctx: WebContext): void {
  const r = server.withTypeProvider<ZodTypeProvider>();
  const deps = approvalDeps(ctx);

  r.get('/approvals/link/:token', { schema: { params: LinkParams } }, async (req, reply) => {
    // Reading a link never spends it: a mail scanner may be the one reading.
    const preview = await previewApprovalLink(deps, ctx.key, req.params.token, req.principal?.person);
    const title = `${preview.link.decision === 'approved' ? 'Approve' : 'Reject'} approval #${preview.approval.id}?`;
    return private_(reply).send(renderPage(ctx, req, reply, { title, body: confirmBody(req, reply, preview, req.params.token) }));
  });

  r.post('/approvals/link/:token', { schema: { params: LinkParams, body: ConfirmFormSchema } }, async (req, reply) => {
    const outcome = await redeemApprovalLink(deps, ctx.key, req.params.token, req.principal?.person, req.body.comment);
    const result = RESULT[outcome.outcome]!;
    const body = html`<p class="notice" role="status" id="link-result">${result.text}</p>
<p><a href="${approvalPath(outcome.id)}">Open approval #${outcome.id}</a>${req.principal === undefined ? ' (you will be asked to sign in)' : ''}</p>`;
    return private_(reply).send(renderPage(ctx, req, reply, { title: result.title, body }));
  });
}
