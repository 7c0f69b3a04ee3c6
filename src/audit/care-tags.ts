/**
 * The CARE-01 remedy (docs/architecture.md "Care tags"): when the tenant lets
 * it (`tenants.care_auto_tag`, off by default), the data-handling job adds the
 * care register's tag to each profile of an open CARE-01 finding through the
 * platform API, then re-reads the profile to verify it.
 *
 * Adding a tag is safe to do without an approval: it only tells customer
 * service staff to take care, and it removes nothing. Each effect happens once
 * per tenant, profile and tag (by tag match): it is claimed in the ledger
 * (`care_tag_effects`) before the platform is called, and within the run the
 * call is `ctx.once`. One that did not verify is recorded and counted, its
 * finding stays open, and it is not tried again: a tag that does not stick
 * needs a person. A suppressed finding (an accepted risk) is left alone.
 *
 * A profile id is a customer identifier: it goes to the platform and into the
 * `care_tag_effects` row, never into a log line, an email or the audit log
 * (whose entries name the effect and the finding).
 */
import type { Tenant } from '../db/database.js';
import type { Db } from '../db/executor.js';
import { claimCareTag, endCareTag } from '../db/care-tags.repository.js';
import { activeSuppressions } from '../db/suppressions.repository.js';
import type { Logger } from '../log/logger.js';
import type { OmneoClient } from '../omneo/client.js';
import type { JobContext } from '../queue/define-job.js';
import { tagKey } from '../rules/data/destinations.js';
import type { Finding } from '../rules/types.js';

/** The route both calls name in the trail: the template, never the profile's id. */
const PROFILE_ROUTE = '/profiles/{id}';

export interface CareTagDeps {
  db: Db;
  /** The tenant's platform client. */
  client: OmneoClient;
  /** The run's once-only effects (`ctx.once`). */
  once: JobContext['once'];
  /** The run, as the ledger names it (`ctx.runId`). */
  runKey: string;
  /** The audit log's actor. */
  actor: string;
  logger?: Logger;
  /** @defaultValue the system clock */
  now?: () => Date;
}

/** What the run reports: tags added, verified, not verified, and effects left alone (done before, or another run's). */
export interface CareTagCounts extends Record<string, number> {
  tagged: number;
  tag_verified: number;
  tag_failed: number;
  tag_skipped: number;
}

/** The tags with `tag` added, or null when they hold it already (tag match). */
export function withTag(tags: readonly string[], tag: string): string[] | null {
  const key = tagKey(tag);
  return tags.some((t) => tagKey(t) === key) ? null : [...tags, tag];
}

/** What the act did, as `ctx.once` records it: no tag list, no id. */
interface Added {
  /** A PUT was made. */
  added: boolean;
  /** The platform answered 404 to the read or the PUT. */
  gone: boolean;
}

async function addTag(client: OmneoClient, profileId: string, tag: string): Promise<Added> {
  const current = await client.profileTags(profileId);
  if (current === null) return { added: false, gone: true };
  const tags = withTag(current, tag);
  if (tags === null) return { added: false, gone: false };
  const after = await client.setProfileTags(profileId, tags);
  return { added: true, gone: after === null };
}

/**
 * Adds the care tag to the profiles of `findings`' open CARE-01 findings
 * (those of this run), when `tenant.care_auto_tag` is on. Platform errors
 * are thrown (the run is retried; a retry of this run carries on its own
 * claims, and a later run takes over those of a run that died).
 * @returns the counts, or `{}` when the tenant has auto-tagging off
 */
export async function addCareTags(deps: CareTagDeps, tenant: Tenant, findings: readonly Finding[]): Promise<CareTagCounts | Record<string, never>> {
  if (!tenant.care_auto_tag) return {};
  const now = deps.now ?? (() => new Date());
  const counts: CareTagCounts = { tagged: 0, tag_verified: 0, tag_failed: 0, tag_skipped: 0 };
  const care = findings.filter((f) => f.rule === 'CARE-01');
  if (care.length === 0) return counts;
  const suppressed = new Set((await activeSuppressions(deps.db, tenant.name, now())).map((s) => s.fingerprint));
  for (const finding of care) {
    if (suppressed.has(finding.fingerprint)) continue;
    const profileId = finding.subject.id;
    const tag = String(finding.evidence['tag']);
    const claim = await claimCareTag(deps.db, { tenant: tenant.name, profileId, tag, tagKey: tagKey(tag), fingerprint: finding.fingerprint, runKey: deps.runKey, at: now() });
    if (claim.state !== 'claimed') {
      counts.tag_skipped++;
      continue;
    }
    // Adding a tag twice leaves one tag: an attempt that died mid-call repeats it.
    const effect = await deps.once(`care-tag:${claim.id}`, () => addTag(deps.client, profileId, tag), { ifInterrupted: 'retry' });
    const act = effect.state === 'interrupted' ? { added: false, gone: false } : (effect.result as Added);
    // Verified apart from the PUT's answer: the profile as the platform gives it to anyone who reads it.
    const seen = act.gone ? null : await deps.client.profileTags(profileId);
    const verified = seen !== null && withTag(seen, tag) === null;
    const result = verified ? 'the profile carries the tag' : seen === null ? '404: the profile is gone' : 'the profile does not carry the tag';
    const ended = await endCareTag(deps.db, claim.id, {
      actor: deps.actor,
      tenant: tenant.name,
      tag,
      fingerprint: finding.fingerprint,
      runKey: deps.runKey,
      act: act.added ? { call: `PUT ${PROFILE_ROUTE}`, answer: act.gone ? '404: the profile is gone' : 'tags replaced, the care tag added' } : null,
      verification: { outcome: verified ? 'verified' : 'not_verified', check: `GET ${PROFILE_ROUTE}`, result },
      at: now(),
    });
    if (!ended) {
      // Another run took the effect over meanwhile (this one was taken for dead): it records it.
      counts.tag_skipped++;
      continue;
    }
    if (act.added) counts.tagged++;
    if (verified) counts.tag_verified++;
    else {
      counts.tag_failed++;
      deps.logger?.warn({ care_tag: claim.id, finding: finding.fingerprint, result }, 'care tag not verified: the finding stays open, and it is not tried again');
    }
  }
  return counts;
}
