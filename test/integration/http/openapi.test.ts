// The OpenAPI document at /api/v1/openapi.json: public, a structurally valid
// OpenAPI 3 document (checked here against the parts of the specification a
// client relies on: versions, paths and their parameters, responses, $refs,
// security), made of the /api/v1 routes only, every one of ROUTE_ACCESS with
// its method, each with a success schema and its problems as application/problem+json.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTE_ACCESS } from '../../../src/http/access.js';
import { startWebWorld, type WebWorld } from '../../support/web.js';

type Json = Record<string, unknown>;

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;
const PATH_ITEM_KEYS = new Set<string>([...METHODS, 'parameters', 'summary', 'description', 'servers', '$ref']);
const PARAMETER_PLACES = new Set(['query', 'header', 'path', 'cookie']);

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** What is wrong with an OpenAPI 3.0/3.1 document, by JSON path; empty when nothing is. */
function openApiProblems(doc: Json): string[] {
  const problems: string[] = [];
  const bad = (where: string, what: string) => problems.push(`${where}: ${what}`);
  if (typeof doc.openapi !== 'string' || !/^3\.[01]\.\d+$/.test(doc.openapi)) bad('openapi', `not an OpenAPI 3.0/3.1 version: ${String(doc.openapi)}`);
  const info = doc.info;
  if (!isObject(info) || typeof info.title !== 'string' || info.title === '' || typeof info.version !== 'string' || info.version === '') {
    bad('info', 'needs a title and a version');
  }
  const schemes = isObject(doc.components) && isObject(doc.components.securitySchemes) ? doc.components.securitySchemes : {};
  for (const [name, scheme] of Object.entries(schemes)) {
    if (!isObject(scheme) || !['apiKey', 'http', 'oauth2', 'openIdConnect', 'mutualTLS'].includes(scheme.type as string)) bad(`components.securitySchemes.${name}`, 'unknown type');
  }
  const checkSecurity = (where: string, security: unknown) => {
    if (security === undefined) return;
    if (!Array.isArray(security)) return bad(where, 'security must be an array');
    for (const requirement of security) {
      if (!isObject(requirement)) bad(where, 'a security requirement must be an object');
      else for (const name of Object.keys(requirement)) if (!(name in schemes)) bad(where, `security names undeclared scheme ${name}`);
    }
  };
  checkSecurity('security', doc.security);
  const declaredTags = new Set(Array.isArray(doc.tags) ? doc.tags.map((t) => (t as Json).name) : []);
  const operationIds = new Set<string>();

  if (!isObject(doc.paths)) bad('paths', 'must be an object');
  for (const [path, item] of Object.entries(isObject(doc.paths) ? doc.paths : {})) {
    if (!path.startsWith('/')) bad(path, 'a path must start with /');
    if (!isObject(item)) {
      bad(path, 'a path item must be an object');
      continue;
    }
    for (const key of Object.keys(item)) if (!PATH_ITEM_KEYS.has(key)) bad(path, `unknown path item field ${key}`);
    const templated = new Set([...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!));
    for (const method of METHODS) {
      const op = item[method];
      if (op === undefined) continue;
      const where = `${method.toUpperCase()} ${path}`;
      if (!isObject(op)) {
        bad(where, 'an operation must be an object');
        continue;
      }
      if (typeof op.operationId === 'string') {
        if (operationIds.has(op.operationId)) bad(where, `duplicate operationId ${op.operationId}`);
        operationIds.add(op.operationId);
      }
      for (const tag of Array.isArray(op.tags) ? op.tags : []) if (!declaredTags.has(tag)) bad(where, `tag ${String(tag)} is not declared`);
      checkSecurity(where, op.security);
      const params = Array.isArray(op.parameters) ? (op.parameters as Json[]) : [];
      const seen = new Set<string>();
      for (const p of params) {
        if (typeof p.name !== 'string' || !PARAMETER_PLACES.has(p.in as string)) bad(where, `a parameter needs a name and a place: ${JSON.stringify(p)}`);
        if (seen.has(`${String(p.in)}:${String(p.name)}`)) bad(where, `parameter ${String(p.name)} given twice`);
        seen.add(`${String(p.in)}:${String(p.name)}`);
        if (p.schema === undefined && p.content === undefined) bad(where, `parameter ${String(p.name)} has no schema`);
        if (p.in === 'path' && p.required !== true) bad(where, `path parameter ${String(p.name)} must be required`);
      }
      const pathParams = new Set(params.filter((p) => p.in === 'path').map((p) => p.name as string));
      for (const name of templated) if (!pathParams.has(name)) bad(where, `path parameter {${name}} is not declared`);
      for (const name of pathParams) if (!templated.has(name)) bad(where, `parameter ${name} is not in the path`);
      if (op.requestBody !== undefined && !(isObject(op.requestBody) && isObject(op.requestBody.content))) bad(where, 'a request body needs content');
      if (!isObject(op.responses) || Object.keys(op.responses).length === 0) {
        bad(where, 'needs at least one response');
        continue;
      }
      for (const [code, response] of Object.entries(op.responses)) {
        if (!/^([1-5]\d\d|[1-5]XX|default)$/.test(code)) bad(where, `response key ${code} is not a status`);
        if (!isObject(response) || (typeof response.description !== 'string' && typeof response.$ref !== 'string')) {
          bad(`${where} ${code}`, 'a response needs a description');
          continue;
        }
        for (const [type, media] of Object.entries(isObject(response.content) ? response.content : {})) {
          if (!isObject(media) || !(isObject(media.schema) || typeof media.schema === 'boolean')) bad(`${where} ${code} ${type}`, 'media type without a schema');
        }
      }
    }
  }

  // Every $ref points at something in the document.
  const resolve = (ref: string): unknown =>
    ref
      .slice(2)
      .split('/')
      .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
      .reduce<unknown>((node, key) => (isObject(node) ? node[key] : undefined), doc);
  const walk = (node: unknown, where: string): void => {
    if (Array.isArray(node)) node.forEach((n, i) => walk(n, `${where}[${i}]`));
    else if (isObject(node)) {
      if (typeof node.$ref === 'string' && (!node.$ref.startsWith('#/') || resolve(node.$ref) === undefined)) bad(where, `unresolved $ref ${node.$ref}`);
      for (const [k, v] of Object.entries(node)) walk(v, `${where}.${k}`);
    }
  };
  walk(doc, '$');
  return problems;
}

/** `GET /api/v1/tenants/:tenant` → [`get`, `/api/v1/tenants/{tenant}`]. */
function documented(key: string): [string, string] {
  const [method, url] = key.split(' ') as [string, string];
  return [method.toLowerCase(), url.replace(/:([A-Za-z_]+)/g, '{$1}')];
}

let world: WebWorld;
let doc: Json;
let operations: [string, string, Json][];

beforeAll(async () => {
  world = await startWebWorld();
  // Anonymous: the document is public.
  const res = await fetch(`${world.url}/api/v1/openapi.json`, { headers: { accept: 'application/json' } });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  doc = (await res.json()) as Json;
  operations = Object.entries(doc.paths as Record<string, Json>).flatMap(([path, item]) =>
    METHODS.filter((m) => item[m] !== undefined).map((m): [string, string, Json] => [m, path, item[m] as Json]),
  );
});

afterAll(async () => world?.close());

describe('the OpenAPI document', () => {
  it('is a valid OpenAPI 3 document', () => {
    expect(openApiProblems(doc)).toEqual([]);
    expect(doc).toMatchObject({ openapi: '3.1.0', info: { title: 'Warden API', version: expect.any(String) as unknown } });
    expect((doc.components as Json).securitySchemes).toMatchObject({ bearer: { type: 'http', scheme: 'bearer' } });
  });

  it('the checker finds what is wrong in a broken document', () => {
    // The checker itself must be able to fail: a document with each kind of fault.
    const broken = {
      openapi: '2.0',
      info: { title: '' },
      paths: {
        'api/x/{id}': { get: { tags: ['nope'], security: [{ ghost: [] }], parameters: [{ name: 'other', in: 'path' }], responses: { 200: { content: { 'application/json': {} } }, ok: { description: 'x' } } } },
        '/y': { post: { responses: {}, requestBody: {} }, bogus: {} },
        '/z': { get: { responses: { 200: { description: 'x', content: { 'application/json': { schema: { $ref: '#/components/schemas/Missing' } } } } } } },
      },
    };
    const found = openApiProblems(broken).join('\n');
    for (const fault of [
      'not an OpenAPI 3.0/3.1 version',
      'needs a title and a version',
      'a path must start with /',
      'tag nope is not declared',
      'undeclared scheme ghost',
      'path parameter other must be required',
      'path parameter {id} is not declared',
      'parameter other is not in the path',
      'a response needs a description',
      'response key ok is not a status',
      'needs at least one response',
      'a request body needs content',
      'unknown path item field bogus',
      'unresolved $ref #/components/schemas/Missing',
      'parameter other has no schema',
    ]) {
      expect(found).toContain(fault);
    }
  });

  it('holds the /api/v1 routes only', () => {
    const foreign = Object.keys(doc.paths as Json).filter((p) => !p.startsWith('/api/v1/'));
    expect(foreign).toEqual([]);
  });

  it('holds every /api/v1 route of ROUTE_ACCESS with its method', () => {
    const keys = Object.keys(ROUTE_ACCESS).filter((k) => k.split(' ')[1]!.startsWith('/api/v1/'));
    expect(keys.length).toBeGreaterThan(5);
    const missing = keys.filter((key) => {
      const [method, path] = documented(key);
      return (doc.paths as Record<string, Json | undefined>)[path]?.[method] === undefined;
    });
    // Routes other branches of the web app add (findings) are missing until they are merged.
    expect(missing, `ROUTE_ACCESS entries missing from the OpenAPI document: ${missing.join(', ')}`).toEqual([]);
    // And nothing in the document that the access table does not govern.
    const governed = new Set(keys.map((k) => documented(k).join(' ')));
    expect(operations.map(([m, p]) => `${m} ${p}`).filter((o) => !governed.has(o))).toEqual([]);
  });

  it('gives every operation a success response with a schema, tags and a summary', () => {
    const lacking = operations
      .filter(([, , op]) => {
        const responses = op.responses as Record<string, Json>;
        if (responses['204'] !== undefined) return false;
        // 200, or another 2xx an operation answers instead (201 created, 202 accepted).
        const ok = responses['200'] ?? responses['201'] ?? responses['202'];
        return !(isObject(ok) && isObject(ok.content) && isObject(ok.content['application/json']) && isObject(ok.content['application/json'].schema));
      })
      .map(([m, p]) => `${m} ${p}`);
    expect(lacking).toEqual([]);
    expect(operations.filter(([, , op]) => !Array.isArray(op.tags) || op.tags.length === 0 || typeof op.summary !== 'string').map(([m, p]) => `${m} ${p}`)).toEqual([]);
  });

  it('documents the problems of the tenants and runs routes as application/problem+json', () => {
    const paths = doc.paths as Record<string, Record<string, { responses: Record<string, { content?: Json }> }>>;
    for (const [path, codes] of [
      ['/api/v1/tenants/{tenant}', ['400', '401', '404']],
      ['/api/v1/runs', ['400', '401', '404']],
      ['/api/v1/runs/{id}', ['400', '401', '404']],
    ] as const) {
      for (const code of codes) {
        const schema = (paths[path]!.get!.responses[code]?.content?.['application/problem+json'] as Json | undefined)?.schema as Json | undefined;
        expect(schema?.required, `${path} ${code}`).toEqual(['type', 'title', 'status', 'detail']);
      }
    }
    // The document itself needs no credentials; everything else does.
    expect(paths['/api/v1/openapi.json']!.get).toMatchObject({ security: [] });
    expect(doc.security).toEqual([{ bearer: [] }, { session: [] }]);
  });
});
