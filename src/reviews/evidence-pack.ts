/**
 * A closed campaign's evidence pack (docs/architecture.md "Access reviews"):
 * files an auditor can check without trusting Warden.
 *
 * - `items.csv` and `items.json`: every item with its frozen state, flags,
 *   reviewer, decision (who, when, why), what the no-response policy did, and
 *   the approval it became with that approval's end and verification;
 * - `campaign.json`: the campaign (dates, policy, counts, who closed it), its
 *   reviewers' progress and its trail (reminders, escalations, delegations);
 * - `snapshot.json`: the frozen snapshot as canonical JSON, so its SHA-256 is
 *   the `snapshot_sha256` every decision is tied to;
 * - `manifest.json`: the SHA-256 and size of each file, and `pack_sha256`,
 *   the SHA-256 of the lines `<sha256>  <name>` (one per file, sorted by
 *   name, each ending in a newline): exactly what `sha256sum` prints for the
 *   files in name order, so `sha256sum items.csv … | sha256sum` recomputes it.
 *
 * The pack hash is recorded in the hash-chained audit log when the pack is
 * stored, so a pack (manifest included) changed later no longer matches the
 * log. Everything here is pure: bytes in, bytes out.
 */
import { createHash } from 'node:crypto';
import { stringify } from 'csv-stringify/sync';
import { canonicalJson } from '../db/canonical-json.js';

/** The pack's format, written in its manifest. */
export const PACK_FORMAT = 'warden-review-pack/1';
export const MANIFEST_NAME = 'manifest.json';

export interface PackApproval {
  id: number;
  kind: string;
  status: string;
  requested_by: string | null;
  decided_by: string | null;
  decided_at: string | null;
  executed_at: string | null;
  verified_at: string | null;
  /** The independent check that the act took, when verified. */
  verification: Record<string, unknown> | null;
  /** Why it was refused or failed, when it was. */
  outcome: string | null;
}

export interface PackItem {
  id: number;
  account_id: string;
  email: string | null;
  name: string | null;
  role: string;
  /** Every role the account held in the frozen snapshot. */
  roles: string[];
  machine: boolean;
  last_activity: string | null;
  live_tokens: number;
  flags: { rule: string; severity: string; title: string }[];
  reviewer: string | null;
  decision: string | null;
  new_role: string | null;
  comment: string | null;
  decided_by: string | null;
  decided_at: string | null;
  decided_via: string | null;
  no_response: string | null;
  approval: PackApproval | null;
  drift: Record<string, unknown> | null;
}

export interface PackInput {
  campaign: Record<string, unknown> & { id: number; tenant: string; snapshot_sha256: string };
  /** The frozen snapshot, as stored. */
  snapshot: Record<string, unknown>;
  items: readonly PackItem[];
  /** When the pack is made (the campaign's closing). */
  createdAt: string;
}

export interface PackFile {
  name: string;
  content: Buffer;
  sha256: string;
}

export interface ManifestEntry {
  name: string;
  sha256: string;
  bytes: number;
}

export interface PackManifest {
  format: string;
  campaign_id: number;
  tenant: string;
  created_at: string;
  snapshot_sha256: string;
  files: ManifestEntry[];
  pack_sha256: string;
  pack_sha256_is: string;
}

export interface EvidencePack {
  /** The files, manifest last. */
  files: PackFile[];
  manifest: PackManifest;
}

export function sha256Hex(content: Buffer | string): string {
  return createHash('sha256').update(content).digest('hex');
}

const CSV_COLUMNS = [
  'item_id',
  'account_id',
  'email',
  'name',
  'role',
  'roles',
  'machine',
  'last_activity',
  'live_tokens',
  'flags',
  'reviewer',
  'decision',
  'new_role',
  'comment',
  'decided_by',
  'decided_at',
  'decided_via',
  'no_response',
  'approval_id',
  'approval_status',
  'approval_decided_by',
  'approval_decided_at',
  'approval_verified_at',
  'verification',
  'drift',
] as const;

/** The CSV of every item; cells from the platform that a spreadsheet would run as a formula are escaped (`'`). */
export function itemsCsv(items: readonly PackItem[]): string {
  return stringify(
    items.map((i) => [
      String(i.id),
      i.account_id,
      i.email ?? '',
      i.name ?? '',
      i.role,
      i.roles.join(';'),
      i.machine ? 'true' : 'false',
      i.last_activity ?? '',
      String(i.live_tokens),
      i.flags.map((f) => f.rule).join(';'),
      i.reviewer ?? '',
      i.decision ?? '',
      i.new_role ?? '',
      i.comment ?? '',
      i.decided_by ?? '',
      i.decided_at ?? '',
      i.decided_via ?? '',
      i.no_response ?? '',
      i.approval === null ? '' : String(i.approval.id),
      i.approval?.status ?? '',
      i.approval?.decided_by ?? '',
      i.approval?.decided_at ?? '',
      i.approval?.verified_at ?? '',
      i.approval?.verification === null || i.approval === null ? '' : JSON.stringify(i.approval.verification),
      i.drift === null ? '' : JSON.stringify(i.drift),
    ]),
    { header: true, columns: [...CSV_COLUMNS], escape_formulas: true },
  );
}

/** The line `sha256sum` prints for a file, which the pack hash is taken over. */
function sumLine(e: Pick<ManifestEntry, 'name' | 'sha256'>): string {
  return `${e.sha256}  ${e.name}\n`;
}

/** The pack hash of manifest entries: SHA-256 of their `sha256sum` lines in name order. */
export function packSha256(entries: readonly Pick<ManifestEntry, 'name' | 'sha256'>[]): string {
  return sha256Hex([...entries].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).map(sumLine).join(''));
}

function file(name: string, text: string): PackFile {
  const content = Buffer.from(text, 'utf8');
  return { name, content, sha256: sha256Hex(content) };
}

/** Pretty JSON with a final newline (for people); the snapshot alone is canonical (for its hash). */
const pretty = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

/** Builds the pack's files and manifest. */
export function buildEvidencePack(input: PackInput): EvidencePack {
  const files = [
    file('campaign.json', pretty(input.campaign)),
    file('items.csv', itemsCsv(input.items)),
    file('items.json', pretty(input.items)),
    file('snapshot.json', canonicalJson(input.snapshot)),
  ];
  const entries = files.map((f) => ({ name: f.name, sha256: f.sha256, bytes: f.content.length }));
  const manifest: PackManifest = {
    format: PACK_FORMAT,
    campaign_id: input.campaign.id,
    tenant: input.campaign.tenant,
    created_at: input.createdAt,
    snapshot_sha256: input.campaign.snapshot_sha256,
    files: entries,
    pack_sha256: packSha256(entries),
    pack_sha256_is: 'SHA-256 of the lines "<sha256>  <name>\\n" of the files above, sorted by name: what `sha256sum` prints for them in name order',
  };
  return { files: [...files, file(MANIFEST_NAME, pretty(manifest))], manifest };
}

export type PackVerdict =
  | { ok: true; files: number; pack_sha256: string }
  /** `file` is the first file (in the manifest's order) that is missing or whose hash differs; `manifest.json` when the manifest itself is unreadable or its pack hash does not add up. */
  | { ok: false; file: string; problem: string };

/** A name the manifest may list: a file beside it, not the manifest, not a path (nor `.`, `..` or empty, which name directories). */
function isPlainFileName(name: string): boolean {
  return name !== '' && name !== '.' && name !== '..' && name !== MANIFEST_NAME && !name.includes('/') && !name.includes('\\');
}

/**
 * Checks a pack's files against its manifest: every file listed is present
 * with its SHA-256, and the pack hash adds up. `read` answers a file's bytes,
 * or undefined when it is missing.
 */
export function verifyPack(manifestText: string | undefined, read: (name: string) => Buffer | undefined): PackVerdict {
  if (manifestText === undefined) return { ok: false, file: MANIFEST_NAME, problem: 'missing' };
  let manifest: Partial<PackManifest> | null;
  try {
    manifest = JSON.parse(manifestText) as Partial<PackManifest> | null;
  } catch {
    return { ok: false, file: MANIFEST_NAME, problem: 'not JSON' };
  }
  // `null` is JSON too, and reading its files would throw.
  if (manifest === null || typeof manifest !== 'object') return { ok: false, file: MANIFEST_NAME, problem: 'not a JSON object' };
  const entries = manifest.files;
  if (!Array.isArray(entries) || entries.length === 0 || typeof manifest.pack_sha256 !== 'string') {
    return { ok: false, file: MANIFEST_NAME, problem: 'lists no files or no pack_sha256' };
  }
  for (const e of entries) {
    if (typeof e?.name !== 'string' || typeof e.sha256 !== 'string' || !isPlainFileName(e.name)) {
      return { ok: false, file: MANIFEST_NAME, problem: 'an entry is not a plain file name with a sha256' };
    }
    const content = read(e.name);
    if (content === undefined) return { ok: false, file: e.name, problem: 'missing' };
    const actual = sha256Hex(content);
    if (actual !== e.sha256) return { ok: false, file: e.name, problem: `SHA-256 is ${actual}, the manifest says ${e.sha256}` };
  }
  const pack = packSha256(entries);
  if (pack !== manifest.pack_sha256) return { ok: false, file: MANIFEST_NAME, problem: `pack_sha256 is ${pack} over the files listed, the manifest says ${manifest.pack_sha256}` };
  return { ok: true, files: entries.length, pack_sha256: pack };
}
