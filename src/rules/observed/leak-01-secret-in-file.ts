import { defineObservedRule } from './observed-rule.js';

/**
 * One place `warden scan` found a secret's value: never the value, nor the
 * line's text; only where, and which version of which secret, in which form.
 */
export interface LeakHit {
  /** The file's absolute path; for a hit in git's history, where the file is (or was) in the work tree. */
  path: string;
  /** 1-based. */
  line: number;
  /** The commit that added the content (`--git-history`), else null: the file as it is on disk. */
  commit: string | null;
  /** That commit's author date, ISO 8601; null for a file on disk. */
  committed_at: string | null;
  /** The secret's name in Warden's store. */
  secret: string;
  kind: string;
  /** The version's label: `current`, `pending` or `previous`. */
  version: string;
  /** How the value was written: `raw`, `base64`, `base64-unpadded`, `base64url`, `base64url-padded`, `url-encoded`. */
  encoding: string;
}

/** The subject id of a hit: `PATH:LINE`, and `@COMMIT` for one in history. */
export function leakSubjectId(hit: Pick<LeakHit, 'path' | 'line' | 'commit'>): string {
  return hit.commit === null ? `${hit.path}:${hit.line}` : `${hit.path}:${hit.line}@${hit.commit}`;
}

const which = (h: LeakHit) => `${h.secret} (${h.version}, ${h.encoding})`;

export const leak01 = defineObservedRule({
  id: 'LEAK-01',
  name: 'secret-in-file',
  family: 'data',
  severity: 'critical',
  subject: 'file',
  action: 'rotate_secret',
  requires_approval: false,
  summary:
    'A line of a file that `warden scan` read (a folder, a git work tree, or with `--git-history` any commit of its history) holding the exact value of a secret of the tenant that Warden holds (a current, pending or previous version), as written, base64-encoded or URL-encoded.',
  why:
    'Whoever can read the file, or clone the repository, holds the secret: they can sign webhooks the tenant trusts, ' +
    'print barcodes, or call the platform as its integration. A hit is never a guess: it is the exact value Warden ' +
    'holds, so there is nothing to triage. Deleting the line does not undo it (clones, backups and git history keep ' +
    'it): rotate the secret (`warden secrets rotate`), then remove the value. Once its version is retired, Warden ' +
    'no longer looks for it, and the next scan of the same folder resolves the finding.',
  observes:
    'the files `warden scan PATH… --tenant T` read (and, with `--git-history`, every blob of the repository\'s history), compared with the values of the tenant\'s secrets in Warden\'s secret store; the command records the findings in a `scan` run of its own',
  evidence: {
    path: 'the file\'s absolute path (for a hit in history, its path in the work tree)',
    line: 'the line the value starts on (1-based)',
    commit: 'the first commit that added the content (a `--git-history` hit; parents before children), else null',
    committed_at: 'that commit\'s author date, else null',
    secret: 'the secret\'s name in Warden\'s store',
    kind: 'its kind (`webhook-signing`, `barcode`, `api-token`, `machine-password`)',
    version: 'the version found: `current`, `pending` or `previous`',
    encoding: 'how the value was written: `raw`, `base64`, `base64-unpadded`, `base64url`, `base64url-padded` or `url-encoded`',
    also: 'other secrets or forms found on the same line, each as `NAME (VERSION, ENCODING)`',
  },
  check(hits: readonly LeakHit[]) {
    const bySubject = new Map<string, LeakHit[]>();
    for (const hit of hits) {
      const id = leakSubjectId(hit);
      const list = bySubject.get(id);
      if (list === undefined) bySubject.set(id, [hit]);
      else list.push(hit);
    }
    return [...bySubject].map(([id, list]) => {
      const sorted = [...list].sort((a, b) => (which(a) < which(b) ? -1 : which(a) > which(b) ? 1 : 0));
      const first = sorted[0]!;
      const also = [...new Set(sorted.slice(1).map(which))].filter((w) => w !== which(first));
      const where = first.commit === null ? `${first.path}:${first.line}` : `${first.path}:${first.line} in commit ${first.commit.slice(0, 12)}`;
      return {
        subject: {
          type: 'file' as const,
          id,
          label: first.commit === null ? id : `${first.path}:${first.line} (commit ${first.commit.slice(0, 12)})`,
        },
        title: `Secret ${JSON.stringify(first.secret)} (${first.version}, ${first.encoding}) found at ${where}${also.length > 0 ? ` with ${also.length} more` : ''}`,
        evidence: {
          path: first.path,
          line: first.line,
          commit: first.commit,
          committed_at: first.committed_at,
          secret: first.secret,
          kind: first.kind,
          version: first.version,
          encoding: first.encoding,
          also,
        },
      };
    });
  },
});
