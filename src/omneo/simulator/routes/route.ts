/**
 * What a routes module of the simulator is: routes matched by method and path
 * pattern, each handled with the request's context, over the state they share.
 * One module per resource (docs/architecture.md, "The simulator").
 */
import type { IncomingMessage } from 'node:http';
import type { OmneoTokenIdentity } from '../../types.js';
import type { Answer } from '../answers.js';
import type { DirectoryPerson } from '../demo-tenant.js';
import type { SimulatorFaults } from '../faults.js';
import type { PlatformStore } from '../platform-store.js';

export const API_PREFIX = '/api/v3';

/** What the routes share: the tenant's data, the live fault settings and secrets. */
export interface SimState {
  store: PlatformStore;
  /** The HR roster the SCIM directory serves. */
  people: readonly DirectoryPerson[];
  faults: SimulatorFaults;
  /**
   * The platform's secrets: the one webhooks are signed with, and every barcode
   * secret a token may be made with (old and new, while both are accepted).
   */
  secrets: { webhook: string; barcode: string[] };
  /** Seeded randomness of the faults. */
  random: () => number;
  /** Largest `page[size]` a list accepts. */
  maxPageSize: number;
  /** Most resources a SCIM page holds, whatever `count` asks. */
  scimMaxCount: number;
  /** The server root, e.g. `http://127.0.0.1:40123`, known once it listens. */
  readonly origin: () => string;
}

/** One request, as a handler sees it. */
export interface Ctx {
  params: string[];
  query: URLSearchParams;
  rawQuery: string;
  body: unknown;
  /** The user behind the bearer token. */
  actor: OmneoTokenIdentity;
  req: IncomingMessage;
}

export type Handler = (ctx: Ctx) => Answer | Promise<Answer>;

export interface Route {
  method: string;
  pattern: RegExp;
  /** What the stats count the request under, e.g. `GET /api/v3/users/{id}`. */
  name: string;
  handler: Handler;
  /** Public: no bearer token (the barcode service authenticates by its own token, the login by a password). */
  open?: boolean;
}

/** A route of the platform's API, under {@link API_PREFIX}; `{name}` segments become params. */
export function api(method: string, path: string, handler: Handler): Route {
  return {
    method,
    name: `${method} ${API_PREFIX}${path}`,
    pattern: new RegExp(`^${API_PREFIX}${path.replace(/\{[a-z_]+\}/g, '([^/]+)')}$`),
    handler,
  };
}
