/**
 * Renders docs/rules.md from the rule registry (src/rules/registry.ts), the
 * policy defaults (src/rules/policy.ts) and the snapshot reader's
 * vocabularies, with the prose that explains them. `npm run docs:rules`
 * writes the file; test/unit/rules/rules-doc.test.ts renders it again and
 * fails when the committed file differs, so the two cannot drift.
 */
import { CSV_COLUMNS, FORMATS } from '../src/report/findings.format.js';
import { evaluate, fingerprint, RULE_FAMILIES, RULES } from '../src/rules/engine.js';
import type { ObservedRule } from '../src/rules/observed/observed-rule.js';
import { DEFAULT_POLICY, parsePolicy } from '../src/rules/policy.js';
import type { Rule } from '../src/rules/rule.js';
import { OBSERVED_RULES } from '../src/rules/registry.js';
import { ERASURE_STATUSES, parseSnapshot, PERSON_STATUSES, SECRET_KINDS } from '../src/rules/snapshot.js';
import { SEVERITIES, type RuleFamily } from '../src/rules/types.js';

const FAMILY_TITLES: Record<RuleFamily, string> = {
  access: 'who has an account, and should they',
  tokens: 'API-token hygiene',
  network: "the tenant's record of its Clienteling IP allowlist",
  secrets: 'shared secrets and their rotation',
  privacy: 'GDPR erasure requests',
  data: 'where customer data goes, the care register, and secrets found in files',
};

const code = (s: string) => `\`${s}\``;
const list = (xs: readonly string[]) => xs.map(code).join(', ');
// A family's prefixes in rule order: `ACC`, or `DAT, CARE` for the data family.
const prefixOf = (family: RuleFamily) => [...new Set(RULES.filter((r) => r.family === family).map((r) => r.id.slice(0, r.id.indexOf('-'))))].join(', ');
const anchor = (heading: string) => `#${heading.toLowerCase().replace(/[^a-z0-9 -]/g, '').replace(/ /g, '-')}`;
const ruleHeading = (r: Rule | ObservedRule) => `${r.id} ${r.name}`;
const severityOf = (r: Rule | ObservedRule) => (r.escalation ? `${r.severity}, or ${r.escalation.severity} when ${r.escalation.when}` : r.severity);

function ruleTable(): string {
  const rows = RULES.map(
    (r) =>
      `| [${r.id}](${anchor(ruleHeading(r))}) | ${r.name} | ${r.family} | ${r.escalation ? `${r.severity} (${r.escalation.severity})` : r.severity} | ` +
      `${r.subject} | ${r.action} | ${r.requires_approval ? 'yes' : 'no'} | ${r.summary} |`,
  );
  return [
    '| id | name | family | severity | subject | action | approval | fires on |',
    '|---|---|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}

function ruleSection(r: Rule): string {
  const policy =
    r.policy.length === 0
      ? 'none'
      : r.policy.map((k) => `${code(k)} (default ${DEFAULT_POLICY[k]})`).join(', ');
  const evidence = Object.entries(r.evidence).map(([k, v]) => `| ${code(k)} | ${v} |`);
  return [
    `### ${ruleHeading(r)}`,
    '',
    `- family: ${r.family}`,
    `- severity: ${severityOf(r)}`,
    `- subject: ${r.subject}`,
    `- action: ${r.action}`,
    `- requires_approval: ${r.requires_approval}`,
    `- policy keys: ${policy}`,
    '',
    `**Fires on:** ${r.summary}`,
    '',
    `**Why.** ${r.why}`,
    '',
    '| evidence field | holds |',
    '|---|---|',
    ...evidence,
  ].join('\n');
}

function familySections(): string {
  return RULE_FAMILIES.map((family) =>
    [`## ${prefixOf(family)}: ${family}`, '', `Rules of the ${family} family: ${FAMILY_TITLES[family]}.`, '', ...RULES.filter((r) => r.family === family).map(ruleSection).flatMap((s) => [s, ''])]
      .join('\n')
      .trimEnd(),
  ).join('\n\n');
}

function observedTable(): string {
  const rows = OBSERVED_RULES.map(
    (r) =>
      `| [${r.id}](${anchor(ruleHeading(r))}) | ${r.name} | ${r.family} | ${r.severity} | ${r.subject} | ${r.action} | ${r.requires_approval ? 'yes' : 'no'} | ${r.summary} |`,
  );
  return ['| id | name | family | severity | subject | action | approval | fires on |', '|---|---|---|---|---|---|---|---|', ...rows].join('\n');
}

function observedSection(r: ObservedRule): string {
  const evidence = Object.entries(r.evidence).map(([k, v]) => `| ${code(k)} | ${v} |`);
  return [
    `### ${ruleHeading(r)}`,
    '',
    `- family: ${r.family}`,
    `- severity: ${severityOf(r)}`,
    `- subject: ${r.subject}`,
    `- action: ${r.action}`,
    `- requires_approval: ${r.requires_approval}`,
    `- observes: ${r.observes}`,
    '',
    `**Fires on:** ${r.summary}`,
    '',
    `**Why.** ${r.why}`,
    '',
    '| evidence field | holds |',
    '|---|---|',
    ...evidence,
  ].join('\n');
}

function policyTable(): string {
  const rows = (Object.keys(DEFAULT_POLICY) as (keyof typeof DEFAULT_POLICY)[]).map((key) => {
    const users = RULES.filter((r) => r.policy.includes(key)).map((r) => r.id);
    return `| ${code(key)} | ${DEFAULT_POLICY[key]} | ${users.join(', ')} |`;
  });
  return ['| key | default | read by |', '|---|---|---|', ...rows].join('\n');
}

/** The example of "Output of warden check": a machine account with one old token. */
const EXAMPLE_SNAPSHOT = {
  tenant: 'acme',
  omneo: {
    users: [{ id: 7, name: 'POS integration', email: null, roles: [{ handle: 'machine' }], created_at: '2026-01-05T00:00:00Z' }],
    tokens: [
      {
        id: 'tok_7f3a',
        user_id: 7,
        name: 'pos-sync',
        scopes: ['read-profiles'],
        created_at: '2026-05-01T00:00:00Z',
        usage: [{ used_at: '2026-11-28T10:00:00Z', user_agent: 'PosSync/4.2 (+store)' }],
      },
    ],
  },
};

/** A real run of the engine, so the example output is what `warden check` prints today. */
function exampleOutput(): string {
  // parseSnapshot normalises in place: give it a copy.
  const snapshot = parseSnapshot(structuredClone(EXAMPLE_SNAPSHOT));
  return JSON.stringify(evaluate(snapshot, parsePolicy({}), Date.parse('2026-11-29T00:00:00Z')), null, 2);
}

export function renderRulesDoc(): string {
  return `<!--
  GENERATED by \`npm run docs:rules\` from the rule registry (src/rules/registry.ts and the
  rule files it lists), src/rules/policy.ts and the prose in scripts/rules-doc.ts.
  Do not edit this file: edit those, then run \`npm run docs:rules\`.
  test/unit/rules/rules-doc.test.ts fails when this file and the registry differ.
-->
# Audit rules

What \`warden check\` and every scheduled audit finds, and why. A rule is a
pure function of three inputs: a tenant **snapshot**, a **policy** and an
**as-of** instant. Nothing else is read (no clock, no network, no randomness),
so the same inputs always give the same findings in the same order.

This document is **generated** from the rule registry: the rule table, each
rule's metadata, policy keys with their defaults, and evidence fields come
from the code, and a unit test fails when they and this file disagree.

- [Rules](#rules)
${RULE_FAMILIES.map((f) => `- [${prefixOf(f)}: ${f}](${anchor(`${prefixOf(f)}: ${f}`)})`).join('\n')}
- [Observed rules](#observed-rules)
- [Definitions](#definitions)
- [Decisions](#decisions)
- [Subjects](#subjects)
- [Policy](#policy)
- [Snapshot format](#snapshot-format)
- [How the engine runs the rules](#how-the-engine-runs-the-rules)
- [Output of warden check](#output-of-warden-check)
- [Fingerprint](#fingerprint)

## Rules

Severity is one of ${list(SEVERITIES)}, in that order of urgency. \`action\`
names the remedy; \`approval\` (\`requires_approval\`) = yes means an admin must
approve the action before Warden may carry it out. A rule lives in
\`src/rules/FAMILY/ID-NAME.ts\` (e.g. \`src/rules/access/acc-01-departed-staff-active.ts\`).

${ruleTable()}

${familySections()}

## Observed rules

Rules of what Warden itself observed, not of a tenant snapshot: its webhook
receiver's refused deliveries, and the secrets \`warden scan\` found in files.
They are **not part of \`warden check\`**, which neither runs nor lists them.
Its input is a snapshot and nothing else, so the same snapshot, policy and
as-of give the same findings on any machine; what these rules read is
Warden's own record of events at its side (kept in its ledger), or files on
the machine that scans, which no snapshot carries and the snapshot format has
no place for.

HOOK-01's observation is read from the ledger by the audit job of its family
(\`secret-rotation\`) at each run, judged with the rule's pure check as of the
run's instant, and recorded in the same call as the family's snapshot rules.
LEAK-01's is what \`warden scan PATH… --tenant T\` read (docs/operations.md
"Scanning for leaked secrets"): the command judges its hits with the rule's
pure check and records the findings in a run of its own (a \`scan\` row of
\`job_runs\`), which resolves only the open LEAK-01 findings it could have
seen again: of files on disk under the paths it read, and, with
\`--git-history\`, of the histories it read. No audit job records or resolves
LEAK-01 (\`data-handling\` does not read files). Either way a finding has the
same fingerprint and the same lifecycle (new, persisting, resolved by the
first run that no longer produces it), pages, filters, digests and
suppressions as any finding. Thresholds are constants of the rule, stated in
its summary, not policy keys: the policy is the snapshot contract's. An
observed rule lives in \`src/rules/observed/ID-NAME.ts\` and is listed in
\`OBSERVED_RULES\` (\`src/rules/registry.ts\`); \`src/audit/observers.ts\`
reads an audit job's observations, \`src/app/scan.ts\` is the scan.

${observedTable()}

${OBSERVED_RULES.map(observedSection).join('\n\n')}

## Definitions

The words the rules use, exactly:

- **N days before as-of**: the instant \`as_of − N × 86 400 000 ms\`. "Older than
  N days" means strictly earlier than that instant, "in the last N days" (newer)
  strictly later; exactly N days is neither.
- **Email match**: \`trim(lowercase(email))\` on both sides; a blank email matches nothing.
- **Ids** (user, token, profile, location) are compared as strings: \`12\` and \`"12"\` are the same id.
- **Live user**: \`deleted_at\` absent or null. When two live users share an id, the first one listed counts.
- **Machine user**: a user with a role whose \`handle\` is \`machine\` (any case). Every other user is **human**.
- **Departed person**: a directory person with \`status\` \`terminated\`, or an \`end_date\` at or before as-of.
- **Departed user**: a live user whose email matches a departed person.
- **Live token**: \`revoked\` is not true, and \`expires_at\` is absent, null or later than as-of.
- **Last activity of a user**: the latest of the \`created_at\` of audits with that
  \`user_id\`, the \`used_at\` of usage entries of tokens (live or not) whose
  \`user_id\` is that user, and the \`last_login_at\` of the matching directory
  person. None of them: never active.
- **Browser user agent**: one that begins with \`Mozilla/\` (case-sensitive).
- **Integration fingerprint** of a usage entry: the user agent's product name
  (the text before the first \`/\` or space), lower-cased; an empty or missing
  user agent is \`unknown\`.
- **Webhook host**: the host of the webhook's \`url\` read by RFC 3986
  (\`scheme://[userinfo@]host[:port]\`), lower-cased, without the port or one
  trailing dot. A \`url\` that is missing, not a string, or not an absolute URL
  with a host has **no host**. **Secure webhook**: the url's scheme is \`https\`
  in any case. **Active webhook**: \`is_active\` absent, null or true.
- **Approved host**: a webhook host equal to a \`data_destinations[].host\`
  (lower-cased), or, for an entry \`*.S\`, a host ending with \`.S\`:
  \`a.crm.example\` and \`b.a.crm.example\` match \`*.crm.example\`, \`crm.example\` does not.
- **Tag match**: \`trim(lowercase(tag))\` on both sides.
- **Erasure deadline**: the request's \`deadline_at\` when present and not null;
  otherwise \`received_at\` + \`erasure_deadline_days\`. A request is **open**
  while its status is none of \`verified\`, \`not_found\` (the profile was proven
  never held) and \`retained\` (kept on purpose, with a recorded legal reason);
  \`failed\` is open.

## Decisions

Where the rules contract leaves a choice open, Warden decides so:

- **Time zones.** A timestamp with a time but no zone designator is read as UTC,
  like a date alone, so a result never depends on the zone of the machine that
  audits. Impossible dates (\`2026-02-30\`) and times (\`24:00\`) are input errors.
- **Directory duplicates.** When several directory rows share an email, the
  person is departed if any of them is (a rehire should be a new row once the
  old one is removed); the first departed row listed gives the evidence.
- **Closed vocabularies.** A directory \`status\`, a secret \`kind\` and an
  erasure \`status\` outside their lists are input errors, not free text: a
  status spelt \`Left\` would otherwise hide a departure.
- **Duplicate subjects** (two users with one id, one cidr listed twice): a rule
  fires once per subject, and the first one listed gives the evidence.
- **Day counts** in titles and evidence (\`age_days\`, \`days_overdue\`) are whole days, rounded down.
- **Machine accounts.** ACC-06 counts every live user holding \`admin\`, machine
  accounts included; ACC-01 applies to machine accounts too (one registered to
  a departed person's email is still that person's).
- **PRV-03** matches audits whose \`auditable_id\` equals the request's \`profile_id\`.
- **A request's own deadline.** \`deadline_at\` is taken as given, even when it
  is later than receipt + \`erasure_deadline_days\` (an extension) or earlier
  than receipt: the policy value is only the fallback for a request without one.
  The ledger records a deadline with every request, so \`warden snapshot\` and the
  scheduled audits always carry one, and a tenant's \`erasure_deadline_days\`
  counts only for snapshots whose requests have none.

- **Webhook hosts by RFC 3986, not by a browser.** The host is what comes
  between \`//\` and the next \`/\`, \`?\` or \`#\`, after any \`user@\` and
  before any \`:port\`, checked against RFC 3986's characters. A browser's URL
  parser would "repair" \`https:\\\\host\` or \`https:host\`; those urls have no
  host here (DAT-01), and neither has a name in non-ASCII letters (write it in
  punycode, \`xn--…\`). A browser would also read \`https://2130706433/\` as
  127.0.0.1; here \`2130706433\` is a host name of its own, approved only by an
  entry spelt the same way. Only the scheme and the authority are judged: an
  odd character in the path does not take the host away.
- **A webhook without a host** is DAT-01's only: DAT-02 judges hosts, and
  there is none to judge. An inactive webhook is seen by no rule.
- **DAT-03's owner** must be a live machine user who has not left: a human,
  a user id no live user has (deleted, or never there), no \`user_id\`, and a
  machine account registered to a departed person's email all fire.
- **Care register duplicates**: an entry listed twice fires once, with the first
  entry's reason; a profile listed twice in \`omneo.profiles\` is judged by the first.
- **A care register without entries**, or none at all, fires nothing; with
  entries and no \`omneo.profiles\`, every entry is CARE-02 (absent).

## Subjects

Every finding is about one subject, named by a type, an id and a label:

| type | id | label | which items rules see |
|---|---|---|---|
| user | the user's \`id\` as a string | its \`name\`, else \`user ID\` | live users, each id once |
| token | the token's \`id\` | its \`name\`, else its id | live tokens |
| allowlist_entry | the \`cidr\` exactly as given; \`allowlist[N]\` (its position) when \`cidr\` is not a string | the id, with \` (LOCATION)\` when it names a location | every entry |
| secret | the secret's \`name\` | the name | every secret |
| erasure_request | the request's \`id\` | the id | every request |
| webhook | the webhook's \`id\` as a string | \`webhook ID (TRIGGER)\` (\`webhook ID\` without a trigger), never its url | active webhooks |
| profile | the care register entry's \`profile_id\` as a string | \`profile ID\` | every care register entry |
| tenant | the tenant's name | the name | the tenant once |
| file | \`PATH:LINE\` (the file's absolute path), \`PATH:LINE@COMMIT\` for a line of git's history | the id; \`PATH:LINE (commit SHORT)\` in history | (LEAK-01 only: lines \`warden scan\` found a secret on) |

Evidence of privacy findings names the request, never the profile: a profile
id identifies a customer, and findings travel by email. The care register is
the exception by design: it is the tenant's list of profile ids, and CARE
evidence gives the id and the register's reason, nothing else about the
person. Evidence of DAT findings gives the webhook's trigger and host, never
its whole url, which may carry a key in its path or query.

## Policy

A JSON object; every key is optional, and every value must be a non-negative
integer. An unknown key, or any other value, is an input error naming the key
(\`warden check\` exits 2).

${policyTable()}

## Snapshot format

A JSON document: what Warden gathered about one tenant (\`warden snapshot\`
writes one). Every top-level key but \`tenant\` is optional, and so is every
list: absent or null is an empty list. Unknown keys are ignored. Timestamps are
ISO 8601; a date without a time is 00:00:00 UTC of that day, and a date-time
without a zone is read as UTC. Ids may be strings or numbers.

| part | field | type | notes |
|---|---|---|---|
| (root) | \`tenant\` | string, required | not empty |
| (root) | \`captured_at\` | timestamp | when the snapshot was taken; informational |
| \`omneo.users[]\` | \`id\` | id, required | |
| | \`name\`, \`email\` | string or null | |
| | \`roles[]\` | list of \`{ id?, handle, name? }\` | \`handle\` required: \`admin\`, \`manager\`, \`reporting\`, \`machine\`… |
| | \`created_at\` | timestamp, required | |
| | \`deleted_at\` | timestamp or null | non-null: the account no longer exists |
| \`omneo.tokens[]\` | \`id\` | id, required | |
| | \`user_id\` | id or null | the owner |
| | \`name\` | string or null | |
| | \`scopes[]\` | list of strings | \`*\` is the wildcard |
| | \`revoked\` | boolean | absent or null is false |
| | \`created_at\` | timestamp, required | |
| | \`expires_at\` | timestamp or null | null: never expires |
| | \`usage[]\` | list of \`{ used_at, ip_address?, user_agent? }\` | \`used_at\` required |
| \`omneo.audits[]\` | \`id\` | id or null | |
| | \`user_id\` | id or null | null: the system |
| | \`event\`, \`auditable_type\` | string or null | e.g. \`deleted\` on a \`Profile\` |
| | \`auditable_id\` | id or null | |
| | \`user_agent\` | string or null | |
| | \`created_at\` | timestamp, required | |
| \`directory.people[]\` | \`email\` | string, required | the HR or identity-provider roster |
| | \`name\` | string or null | |
| | \`status\` | one of ${list(PERSON_STATUSES)}, required | any other spelling is an input error, so a departure is never silently missed |
| | \`end_date\` | timestamp or null | |
| | \`last_login_at\` | timestamp or null | from SSO, when the identity provider knows it |
| \`allowlist[]\` | \`cidr\` | anything | never an input error: a missing or bad one is NET-00; taken exactly as given (no trimming); host bits under the prefix are allowed |
| | \`location_id\` | id or null | |
| | \`approved_remote_access\` | boolean | absent or null is false |
| | \`note\` | string or null | |
| \`locations[]\` | \`id\` | id, required | |
| | \`name\` | string or null | |
| | \`closed_at\` | timestamp or null | |
| \`secrets[]\` | \`name\` | string, required | not empty |
| | \`kind\` | one of ${list(SECRET_KINDS)}, required | |
| | \`current_version_created_at\` | timestamp, required | |
| | \`pending_since\` | timestamp or null | a rotation in progress |
| \`erasure_requests[]\` | \`id\`, \`profile_id\` | id, required | |
| | \`received_at\` | timestamp, required | |
| | \`status\` | one of ${list(ERASURE_STATUSES)}, required | \`verified\`, \`not_found\` and \`retained\` close the request ([Definitions](#definitions)) |
| | \`verified_at\` | timestamp or null | |
| | \`deadline_at\` | timestamp or null | the request's own deadline (a calendar month, or extended); absent or null: \`received_at\` + \`erasure_deadline_days\` |
| \`omneo.webhooks[]\` | \`id\` | id, required | \`GET /webhooks\` |
| | \`trigger\` | string or null | the event that sends data |
| | \`url\` | anything | never an input error: missing, null, not a string or unparseable means no host (DAT-01) |
| | \`is_active\` | boolean or null | absent or null is true |
| | \`user_id\` | id or null | the owner |
| \`omneo.profiles[]\` | \`id\` | id, required | only the profiles the care register names, as the platform has them now |
| | \`tags[]\` | list of strings | absent or null: no tags |
| \`data_destinations[]\` | \`host\` | string, required | not empty; \`*.S\` approves the subdomains of \`S\` |
| \`care_register\` | \`tag\` | string, required when \`care_register\` is present | not empty; e.g. \`handle-with-care\` |
| \`care_register.profiles[]\` | \`profile_id\` | id, required | |
| | \`reason\` | string or null | why the person needs care; nothing else about them |
| | \`added_at\` | timestamp or null | |

**Input errors.** A snapshot that is not valid JSON, lacks \`tenant\`, or has a
value of the wrong type anywhere (a user without an id, a timestamp that does
not parse, a status outside its list) is rejected as a whole: nothing is
evaluated, and \`warden check\` prints one line naming the first bad JSON path
and exits 2, e.g.
\`snapshot.omneo.users[3].created_at: not an ISO 8601 timestamp\`. The problems
are worded \`missing (expected string)\`, \`expected string, got number\`,
\`expected one of …\`, \`must not be empty\` and \`not an ISO 8601 timestamp\`.
The one exception is an allowlist \`cidr\` (NET-00, above).

## How the engine runs the rules

\`evaluate(snapshot, policy, asOf)\` in \`src/rules/engine.ts\` builds an index of
the snapshot once (a record per live account: its departure, machine role,
last activity, live tokens…; each live token with its owner;
\`src/rules/snapshot-index.ts\`), then walks each subject list once, asking
every rule of that subject type about each item. A rule's \`check\` returns a
title and evidence, or nothing; the engine builds the finding from the rule's
registered metadata, so a finding's id, name, action and approval are the
registry's. A scheduled job may run some families only; their findings are
exactly those of a full run for those families.

A rule fires at most once per subject: when a snapshot lists a subject twice,
the first one listed wins.

**Adding a rule**: one file in its family's folder declaring the rule with
\`defineRule\` (metadata, evidence fields, \`check\`), one line in
\`src/rules/registry.ts\`, cases in \`test/unit/rules/FAMILY.test.ts\`, then
\`npm run docs:rules\`. The registry test checks that the findings carry the
declared metadata and evidence fields; a new family also needs its name in
\`RuleFamily\` (\`src/rules/types.ts\`) and a job that runs it.

## Output of warden check

\`warden check --snapshot FILE [--policy FILE] [--as-of INSTANT] [--format ${FORMATS.join('|')}] [--fail-on SEVERITY]\`

\`--snapshot -\` reads stdin. \`--as-of\` defaults to now. With \`--format json\`
it prints one JSON document on stdout; findings are sorted by severity
(critical first), then rule id, then subject id (compared as JavaScript
strings, i.e. by UTF-16 code units). For this snapshot, a machine account
with one token created on 2026-05-01:

\`\`\`json
${JSON.stringify(EXAMPLE_SNAPSHOT, null, 2)}
\`\`\`

\`warden check --snapshot acme.json --as-of 2026-11-29 --format json\` prints:

\`\`\`json
${exampleOutput()}
\`\`\`

\`--format csv\` prints a header row and one row per finding, with the columns
${list(CSV_COLUMNS)} (evidence as a JSON cell). \`--format table\` (the default)
prints a human table. Exit status: 0 when the check completed, 2 for bad input
(one line on stderr naming the flag, file or JSON path), 3 when \`--fail-on\`
is given and some finding is at or above that severity.

## Fingerprint

Every finding carries a \`fingerprint\`: the first 32 hex digits of the SHA-256
of \`rule\`, \`tenant\`, \`subject.type\` and \`subject.id\` joined by NUL bytes
(the separator keeps \`("a","bc")\` and \`("ab","c")\` apart). The same rule,
tenant and subject give the same value run after run, whatever the title,
evidence or severity; the ledger keys findings by it, so a finding is new,
still open or resolved from one run to the next. For example, TOK-01 on token
\`tok_7f3a\` of tenant \`acme\` is always \`${fingerprint('TOK-01', 'acme', 'token', 'tok_7f3a')}\`.
`;
}
