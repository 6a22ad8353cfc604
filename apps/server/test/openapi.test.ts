import { createHash } from 'node:crypto';
import SwaggerParser from '@apidevtools/swagger-parser';
import { appRouter } from '@tessera/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './helpers/server.js';

// /openapi.json and /docs: complete, valid, truthful, and served from this origin only.

/** DESIGN.md's procedure table: every procedure and its REST twin. */
const DESIGN_TABLE: readonly [procedure: string, method: string, path: string][] = [
  ['auth.register', 'POST', '/auth/register'],
  ['auth.login', 'POST', '/auth/login'],
  ['auth.refresh', 'POST', '/auth/refresh'],
  ['auth.logout', 'POST', '/auth/logout'],
  ['auth.requestPasswordReset', 'POST', '/auth/password/forgot'],
  ['auth.resetPassword', 'POST', '/auth/password/reset'],
  ['auth.changePassword', 'POST', '/auth/password/change'],
  ['auth.requestEmailVerification', 'POST', '/auth/email/verify-request'],
  ['auth.verifyEmail', 'POST', '/auth/email/verify'],
  ['auth.sessions', 'GET', '/auth/sessions'],
  ['auth.revokeSession', 'DELETE', '/auth/sessions'],
  ['users.me', 'GET', '/users/me'],
  ['users.updateMe', 'PATCH', '/users/me'],
  ['users.deleteMe', 'POST', '/users/me/delete'],
  ['users.list', 'GET', '/users'],
  ['users.get', 'GET', '/users/{id}'],
  ['users.create', 'POST', '/users'],
  ['users.update', 'PATCH', '/users/{id}'],
  ['users.delete', 'DELETE', '/users/{id}'],
  ['users.import', 'POST', '/users/import'],
  ['audit.list', 'GET', '/audit'],
  ['auth.verifyMfa', 'POST', '/auth/mfa/verify'],
  ['auth.passkeyOptions', 'POST', '/auth/passkey/options'],
  ['auth.passkeyLogin', 'POST', '/auth/passkey/login'],
  ['mfa.status', 'GET', '/mfa'],
  ['mfa.totpSetup', 'POST', '/mfa/totp/setup'],
  ['mfa.totpConfirm', 'POST', '/mfa/totp/confirm'],
  ['mfa.totpDisable', 'POST', '/mfa/totp/disable'],
  ['mfa.regenerateRecoveryCodes', 'POST', '/mfa/recovery-codes'],
  ['passkeys.registrationOptions', 'POST', '/passkeys/options'],
  ['passkeys.register', 'POST', '/passkeys'],
  ['passkeys.list', 'GET', '/passkeys'],
  ['passkeys.rename', 'PATCH', '/passkeys/{id}'],
  ['passkeys.delete', 'DELETE', '/passkeys/{id}'],
  ['users.resetMfa', 'POST', '/users/{id}/reset-mfa'],
  ['apiKeys.create', 'POST', '/api-keys'],
  ['apiKeys.list', 'GET', '/api-keys'],
  ['apiKeys.revoke', 'DELETE', '/api-keys/{id}'],
  ['webhooks.create', 'POST', '/webhooks'],
  ['webhooks.list', 'GET', '/webhooks'],
  ['webhooks.update', 'PATCH', '/webhooks/{id}'],
  ['webhooks.delete', 'DELETE', '/webhooks/{id}'],
  ['webhooks.deliveries', 'GET', '/webhooks/{id}/deliveries'],
  ['webhooks.redeliver', 'POST', '/webhooks/deliveries/{deliveryId}/redeliver'],
];

const SAMPLE_ID = '5b0c4a43-7d3e-4f4a-9a51-3b7d2f0c9e11';

interface Operation {
  'x-trpc-procedure'?: string;
  operationId: string;
  summary?: string;
  security?: Record<string, string[]>[];
  requestBody?: { content: Record<string, { example?: Record<string, unknown> }> };
  responses: Record<string, { $ref?: string; content?: Record<string, { schema?: { $ref?: string } }> }>;
}

interface Document {
  openapi: string;
  info: { title: string; version: string; description?: string };
  servers: { url: string }[];
  paths: Record<string, Record<string, Operation>>;
  components: {
    securitySchemes: Record<string, Record<string, string>>;
    responses: Record<string, { content: Record<string, { schema: { $ref: string } }> }>;
    schemas: Record<string, { properties?: Record<string, unknown>; required?: string[] }>;
  };
}

interface ProcedureDef {
  _def: {
    inputs: { safeParse(value: unknown): { success: boolean } }[];
    meta?: { openapi?: { protect?: boolean } };
  };
}

const procedures = appRouter._def.procedures as unknown as Record<string, ProcedureDef>;

let server: TestServer;
let document: Document;

beforeAll(async () => {
  server = await startTestServer();
  const response = await fetch(`${server.url}/openapi.json`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  document = (await response.json()) as Document;
});
afterAll(() => server?.close());

/** Every operation in the document with its path and lower-case method. */
/** Every operation that twins a procedure (REST_ONLY are written by hand, with no procedure behind them). */
function operations(): { path: string; method: string; operation: Operation }[] {
  return allOperations().filter(({ operation }) => operation['x-trpc-procedure'] !== undefined);
}

function allOperations(): { path: string; method: string; operation: Operation }[] {
  return Object.entries(document.paths).flatMap(([path, item]) =>
    Object.entries(item).map(([method, operation]) => ({ path, method, operation })),
  );
}

/** DESIGN.md's REST-only rows. */
const REST_ONLY = ['GET /users/export'];

function concrete(path: string): string {
  return `/api${path.replace(/\{[^}]+\}/g, SAMPLE_ID)}`;
}

describe('/openapi.json', () => {
  it('is a valid OpenAPI 3.1 document (swagger-parser)', async () => {
    expect(document.openapi).toMatch(/^3\.1\./);
    // validate() dereferences in place: give it a copy.
    await expect(SwaggerParser.validate(structuredClone(document) as never)).resolves.toBeDefined();
  });

  it('describes the service: title, version, description, a relative /api server, a JWT bearer scheme', () => {
    expect(document.info).toMatchObject({
      title: 'Tessera API',
      // eslint-disable-next-line @typescript-eslint/no-unsafe-assignment -- vitest types asymmetric matchers as any
      version: expect.stringMatching(/^\d+\.\d+\.\d+/),
    });
    expect(document.info.description).toMatch(/Authorization: Bearer/);
    expect(document.servers).toEqual([expect.objectContaining({ url: '/api' })]);
    expect(document.components.securitySchemes.bearerAuth).toMatchObject({
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'JWT',
    });
  });

  it('has an operation for every procedure in appRouter, nothing forgotten', () => {
    const documented = operations().map(({ operation }) => operation['x-trpc-procedure']);
    const all = Object.keys(procedures).sort();
    expect(all.length).toBeGreaterThanOrEqual(DESIGN_TABLE.length);
    expect([...documented].sort()).toEqual(all);
  });

  it('has the REST-only operations, and no other operation without a procedure', () => {
    const restOnly = allOperations()
      .filter(({ operation }) => operation['x-trpc-procedure'] === undefined)
      .map(({ path, method }) => `${method.toUpperCase()} ${path}`);
    expect(restOnly).toEqual(REST_ONLY);
  });

  it("puts each procedure at DESIGN.md's method and path", () => {
    const actual = Object.fromEntries(
      operations().map(({ path, method, operation }): [string, string] => [
        operation['x-trpc-procedure'] ?? '',
        `${method.toUpperCase()} ${path}`,
      ]),
    );
    for (const [procedure, method, path] of DESIGN_TABLE)
      expect(actual[procedure], procedure).toBe(`${method} ${path}`);
  });

  it('answers 201 for the operations that create something, 200 for the rest', () => {
    for (const { operation } of operations()) {
      const creates = [
        'auth.register',
        'users.create',
        'passkeys.register',
        'apiKeys.create',
        'webhooks.create',
      ].includes(operation['x-trpc-procedure']!);
      expect(
        Object.keys(operation.responses).filter((s) => s.startsWith('2')),
        operation.operationId,
      ).toEqual([creates ? '201' : '200']);
    }
  });

  it('describes every error answer with the one Error schema (code, message, fieldErrors, issues, data)', () => {
    expect(document.components.schemas.Error?.required?.sort()).toEqual(['code', 'data', 'message']);
    expect(Object.keys(document.components.schemas.Error?.properties ?? {}).sort()).toEqual([
      'code',
      'data',
      'fieldErrors',
      'issues',
      'message',
    ]);
    expect(Object.keys(document.components.schemas).filter((name) => name.startsWith('error.'))).toEqual([]);
    for (const { operation } of operations()) {
      const errors = Object.entries(operation.responses).filter(([status]) => Number(status) >= 400);
      expect(errors.map(([status]) => status)).toEqual(expect.arrayContaining(['500', '503']));
      for (const [, response] of errors) {
        const ref = response.$ref?.replace('#/components/responses/', '');
        const schema = ref
          ? document.components.responses[ref]?.content['application/json']?.schema
          : undefined;
        expect(schema?.$ref, operation.operationId).toBe('#/components/schemas/Error');
      }
    }
  });

  it('marks exactly the operations that need a token, as the server enforces it', async () => {
    const secured: string[] = [];
    for (const { path, method, operation } of operations()) {
      const hasBody = method === 'post' || method === 'patch';
      const response = await fetch(concrete(path).replace(/^/, server.url), {
        method: method.toUpperCase(),
        ...(hasBody ? { headers: { 'content-type': 'application/json' }, body: '{}' } : {}),
      });
      const name = operation['x-trpc-procedure']!;
      if (operation.security) {
        secured.push(name);
        expect(operation.security, name).toEqual([{ bearerAuth: [] }]);
        expect(response.status, `${name} without a token`).toBe(401);
        expect(operation.responses['401'], name).toBeDefined();
      } else {
        expect(response.status, `${name} without a token`).not.toBe(401);
      }
    }
    // The same list, read from the routers' metadata.
    const protectedByMeta = Object.entries(procedures)
      .filter(([, p]) => p._def.meta?.openapi?.protect === true)
      .map(([name]) => name);
    expect(secured.sort()).toEqual(protectedByMeta.sort());
    expect(secured).toContain('users.me');
    expect(secured).not.toContain('auth.login');
  });

  it('gives request examples that its own input schemas accept', () => {
    let examples = 0;
    for (const { path, operation } of operations()) {
      const example = operation.requestBody?.content['application/json']?.example;
      if (!example) continue;
      examples += 1;
      const input = { ...example, ...(path.includes('{id}') ? { id: SAMPLE_ID } : {}) };
      const parser = procedures[operation['x-trpc-procedure']!]!._def.inputs[0]!;
      expect(parser.safeParse(input).success, `${operation.operationId}: ${JSON.stringify(input)}`).toBe(
        true,
      );
    }
    expect(examples).toBeGreaterThanOrEqual(10);
  });

  it('gives every operation a summary and a tag', () => {
    for (const { operation } of operations()) {
      expect(operation.summary, operation.operationId).toEqual(expect.any(String));
      expect((operation as { tags?: string[] }).tags?.length, operation.operationId).toBeGreaterThan(0);
    }
  });
});

describe('/docs', () => {
  it('serves the reference from this origin only, under a CSP that allows just its own inline script', async () => {
    const redirect = await fetch(`${server.url}/docs`, { redirect: 'manual' });
    expect(redirect.status).toBe(301);
    expect(redirect.headers.get('location')).toBe('/docs/');

    const response = await fetch(`${server.url}/docs/`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await response.text();
    expect(html).toContain('Tessera API reference');
    // No absolute URL at all, so nothing can point at another host (CDN, fonts, telemetry).
    expect(html.match(/(?:https?:)?\/\/[a-z0-9.-]+\.[a-z]{2,}/gi) ?? []).toEqual([]);
    expect(html).toContain('"withDefaultFonts": false');
    expect(html).toContain('"url": "/openapi.json"');

    const scripts = [...html.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)];
    const external = scripts
      .map(([, attributes]) => /src="([^"]+)"/.exec(attributes ?? '')?.[1])
      .filter(Boolean);
    expect(external).toEqual(['js/scalar.js']);
    const bundle = await fetch(new URL('js/scalar.js', `${server.url}/docs/`));
    expect(bundle.status).toBe(200);
    expect(bundle.headers.get('content-type')).toMatch(/javascript/);

    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toMatch(/frame-ancestors 'none'/);
    expect(csp).toMatch(/connect-src 'self'(;|$)/);
    expect(csp).not.toMatch(/unsafe-eval|https?:/);
    const inline = scripts.filter(([, attributes]) => !/src=/.test(attributes ?? ''));
    expect(inline).toHaveLength(1);
    const hash = createHash('sha256').update(inline[0]![2]!).digest('base64');
    expect(csp).toContain(`script-src 'self' 'sha256-${hash}'`);
  });
});
