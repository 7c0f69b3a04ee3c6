/**
 * The tenant's data-handling records over the API (docs/operations.md "Data
 * destinations and the care register"):
 *
 * - `GET /api/v1/tenants/:tenant/destinations`: the approved destinations;
 * - `PUT /api/v1/tenants/:tenant/destinations`: replace them with a CSV file
 *   (`host,note`), sent as the body with `Content-Type: text/csv`;
 * - `GET /api/v1/tenants/:tenant/care-register`: the care tag, auto-tag and the
 *   register (profile id, reason, added at; compliance and admins);
 * - `PUT /api/v1/tenants/:tenant/care-register`: replace it with a CSV file
 *   (`profile_id,reason`), `?tag=` setting the care tag with it.
 *
 * A PUT is the CLI's import: the same actions (src/app/data-records.ts), one
 * transaction, `?dry_run=true` to see the changes and write nothing, and a bad
 * file refused with a 400 problem naming its line (`body:3: host: …`). CSV and
 * not JSON rows, so that a script sends the very file an operator imports and
 * an error names the line a person finds in it.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  careRegisterView,
  destinationsView,
  importCareAction,
  importDestinationsAction,
  readCareImport,
  readDestinationsImport,
  type ImportFields,
} from '../../app/data-records.js';
import { personActor } from '../../app/people.js';
import type { WebContext } from '../context.js';
import { personOf } from '../person.js';
import { problemResponses } from './problem.schema.js';
import { TenantParams } from './tenants.api.js';

const TAGS = ['records'];
/** The media type of the PUTs' bodies. */
const CSV = 'text/csv';
/** How the API names what a face names otherwise (the CLI's `--tenant`, `--tag`). */
export const API_FIELDS: ImportFields = { tenant: 'tenant', tag: 'tag' };
/** What an error calls the body's CSV: `body:3: host: …`. */
const SOURCE = 'body';

const Destination = z.object({ host: z.string().describe('lower-cased; *.S approves any subdomain of S, not S itself'), note: z.string().nullable() });
const CareEntry = z.object({ profile_id: z.string().describe('as written: ids are compared as strings'), reason: z.string().nullable() });

/** The changes of an import, as src/db/record-import.ts works them out. */
function changesSchema<T extends z.ZodType>(row: T) {
  return z.object({
    added: z.array(row),
    removed: z.array(row),
    changed: z.array(z.object({ before: row, after: row })).describe('rows whose key is in both, with another note or reason'),
    unchanged: z.number().int(),
  });
}

const DryRun = z.enum(['true', 'false']).optional().describe('true: work out the changes and write nothing');
const CsvBody = z.string().describe('the CSV file, UTF-8, header first (at most 1 MB, as every body)');

const CareRegisterSchema = z.object({
  tenant: z.string(),
  tag: z.string().describe('the tag the register’s profiles must carry on the platform (CARE-01)'),
  auto_tag: z.boolean().describe('whether the data-handling job adds a missing tag itself'),
  count: z.number().int(),
  profiles: z
    .array(z.object({ profile_id: z.string(), reason: z.string().nullable(), added_at: z.iso.datetime().describe('when the profile was first put on the register') }))
    .nullable()
    .describe('by profile id; never a name or contact detail'),
});

export function registerDataRecordsApi(server: FastifyInstance, ctx: WebContext): void {
  // A CSV body is kept as the text it is (within the server's body limit): the import parses it, naming its lines.
  server.addContentTypeParser(CSV, { parseAs: 'string' }, (_req, body, done) => done(null, body));
  const r = server.withTypeProvider<ZodTypeProvider>();

  r.get(
    '/api/v1/tenants/:tenant/destinations',
    {
      schema: {
        tags: TAGS,
        summary: 'The tenant’s approved data destinations: the hosts its webhooks may send customer data to (DAT-02)',
        params: TenantParams,
        response: { 200: z.object({ tenant: z.string(), destinations: z.array(Destination) }), ...problemResponses(400, 401, 404) },
      },
    },
    async (req) => destinationsView(ctx.db, req.params.tenant, personOf(req)),
  );

  r.put(
    '/api/v1/tenants/:tenant/destinations',
    {
      schema: {
        tags: TAGS,
        summary: 'Replace the approved destinations with a CSV file (host,note) sent as text/csv, in one transaction; a bad row is a 400 naming its line, and nothing is written',
        params: TenantParams,
        querystring: z.object({ dry_run: DryRun }),
        consumes: [CSV],
        body: CsvBody,
        response: { 200: z.object({ tenant: z.string(), dry_run: z.boolean(), changes: changesSchema(Destination) }), ...problemResponses(400, 401, 403, 404) },
      },
    },
    async (req) => {
      const person = personOf(req);
      const dryRun = req.query.dry_run === 'true';
      const file = readDestinationsImport({ tenant: req.params.tenant, csv: req.body, source: SOURCE }, API_FIELDS);
      return { tenant: file.tenant, dry_run: dryRun, changes: await importDestinationsAction(ctx.db, file, { dryRun, actor: personActor(person) }, person) };
    },
  );

  r.get(
    '/api/v1/tenants/:tenant/care-register',
    {
      schema: {
        tags: TAGS,
        summary: 'The tenant’s care tag, auto-tag setting and care register: profile id, reason, added at, nothing else about the person',
        params: TenantParams,
        response: { 200: CareRegisterSchema, ...problemResponses(400, 401, 403, 404) },
      },
    },
    async (req) => careRegisterView(ctx.db, req.params.tenant, personOf(req)),
  );

  r.put(
    '/api/v1/tenants/:tenant/care-register',
    {
      schema: {
        tags: TAGS,
        summary: 'Replace the care register with a CSV file (profile_id,reason; no other column) sent as text/csv, and set the care tag with it, in one transaction; a bad row is a 400 naming its line, and nothing is written',
        params: TenantParams,
        querystring: z.object({ dry_run: DryRun, tag: z.string().max(200).optional().describe('the care tag to set with the register; absent: kept') }),
        consumes: [CSV],
        body: CsvBody,
        response: {
          200: z.object({
            tenant: z.string(),
            dry_run: z.boolean(),
            tag: z.object({ before: z.string(), after: z.string() }).nullable().describe('the care tag, when ?tag= was given'),
            changes: changesSchema(CareEntry),
          }),
          ...problemResponses(400, 401, 403, 404),
        },
      },
    },
    async (req) => {
      const person = personOf(req);
      const dryRun = req.query.dry_run === 'true';
      const file = readCareImport({ tenant: req.params.tenant, csv: req.body, source: SOURCE, tag: req.query.tag }, API_FIELDS);
      const { changes, tag } = await importCareAction(ctx.db, file, { dryRun, actor: personActor(person) }, person);
      return { tenant: file.tenant, dry_run: dryRun, tag, changes };
    },
  );
}
