/** A directory person, shaped as docs/rules.md's `directory.people[]` expects it. */
export interface DirectoryPerson {
  email: string;
  name: string | null;
  status: 'active' | 'terminated';
  /** ISO date or instant; null when the person has no end date. */
  end_date: string | null;
  /** ISO instant of the last SSO login, when the identity provider knows it. */
  last_login_at: string | null;
}

/** Where a tenant's roster comes from: `csv:PATH` or `scim:URL`. */
export type DirectorySource = { kind: 'csv'; path: string } | { kind: 'scim'; url: string };
