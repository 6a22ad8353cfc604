import { authResult, EXPORT_COLUMNS, exportFormats, sessionView, user, userPage } from '@tessera/api';
import {
  forEachOpenApiProcedure,
  generateOpenApiDocument,
  normalizePath,
  type OpenAPIObject,
  type OpenApiRouter,
} from 'trpc-to-openapi';
import { restError } from './errors.js';
import { PROCEDURE_EXTRAS, successStatus } from './procedure-extras.js';
import { USER_EXPORT_PATH } from './user-export.js';

/** Where the REST twins live; the document's only server, relative so it fits any origin. */
export const REST_BASE = '/api';

export interface DocumentInfo {
  title: string;
  version: string;
}

type Operation = Record<string, unknown> & { responses: Record<string, unknown> };
type ResponseObject = Extract<
  NonNullable<NonNullable<OpenAPIObject['components']>['responses']>[string],
  { description: string }
>;

type ErrorAnswer = {
  name: string;
  description: string;
  example: Record<string, unknown>;
  headers?: ResponseObject['headers'];
};

/** One shared error answer: its schema name, what it means, and an example body with its reason. */
function errorAnswer(
  name: string,
  description: string,
  code: string,
  message: string,
  reason: string,
): ErrorAnswer {
  return { name, description, example: { code, message, data: { code, reason } } };
}

const RETRY_AFTER: ResponseObject['headers'] = {
  'Retry-After': {
    description: 'Seconds to wait before trying again',
    schema: { type: 'integer', minimum: 0 },
  },
};

/** Shared error answers, referenced by every operation that can give them. */
const ERROR_RESPONSES: Record<number, ErrorAnswer> = {
  400: {
    ...errorAnswer(
      'BadRequest',
      'Invalid input: see `fieldErrors` (and `issues`), or a body that is not JSON',
      'BAD_REQUEST',
      'email: Enter a valid email address',
      'invalid_input',
    ),
    example: {
      code: 'BAD_REQUEST',
      message: 'email: Enter a valid email address',
      fieldErrors: { email: ['Enter a valid email address'] },
      issues: [{ code: 'invalid_format', message: 'Enter a valid email address', path: ['email'] }],
      data: { code: 'BAD_REQUEST', reason: 'invalid_input' },
    },
  },
  401: errorAnswer(
    'Unauthorized',
    'No valid access token (missing, expired, revoked session), or credentials refused',
    'UNAUTHORIZED',
    'Sign in to continue',
    'not_signed_in',
  ),
  403: errorAnswer(
    'Forbidden',
    'Signed in, but your role does not allow this',
    'FORBIDDEN',
    'You are not allowed to do this',
    'forbidden',
  ),
  404: errorAnswer('NotFound', 'No such resource', 'NOT_FOUND', 'Not found', 'not_found'),
  409: errorAnswer(
    'Conflict',
    'Conflicts with the current state, e.g. the email is taken',
    'CONFLICT',
    'An account with this email already exists',
    'email_taken',
  ),
  413: errorAnswer(
    'PayloadTooLarge',
    'Request body over 64 KiB',
    'PAYLOAD_TOO_LARGE',
    'Request body is too large',
    'payload_too_large',
  ),
  415: errorAnswer(
    'UnsupportedMediaType',
    'The body must be `application/json`',
    'UNSUPPORTED_MEDIA_TYPE',
    'Send the body as JSON (Content-Type: application/json)',
    'unsupported_media_type',
  ),
  429: {
    ...errorAnswer(
      'TooManyRequests',
      'Too many attempts; wait and try again',
      'TOO_MANY_REQUESTS',
      'Too many sign-in attempts. Try again in 15 minute(s).',
      'too_many_attempts',
    ),
    headers: RETRY_AFTER,
  },
  500: errorAnswer(
    'InternalServerError',
    'Unexpected failure (never carries details)',
    'INTERNAL_SERVER_ERROR',
    'Internal server error',
    'internal_error',
  ),
  503: errorAnswer(
    'ServiceUnavailable',
    'The database is unreachable, or the service is overloaded; try again shortly',
    'SERVICE_UNAVAILABLE',
    'The service is temporarily unavailable, try again shortly',
    'service_unavailable',
  ),
};

const TAG_DESCRIPTIONS: Record<string, string> = {
  auth: 'Sign-up, sign-in, tokens, passwords, email verification and your devices',
  users: 'Your own account, and user administration for managers and admins',
  audit: 'Who did what, for admins',
};

const DESCRIPTION = `
Tessera is a user-management service: accounts with three roles (admin, manager, user),
sign-up, sign-in, forgotten passwords and user administration.

Every operation here is the REST twin of a tRPC procedure (\`x-trpc-procedure\`) with the same
input, output and rules; TypeScript callers can use the typed client \`@tessera/client\` instead.

**Authentication.** \`POST /api/auth/register\` or \`POST /api/auth/login\` returns an access
token (an EdDSA JWT, \`typ: at+jwt\`, 15 minutes) and a refresh token. Send the access token as
\`Authorization: Bearer <token>\`; trade the refresh token at \`POST /api/auth/refresh\` for a new
pair (it rotates on every use). Other services verify access tokens offline against
\`/.well-known/jwks.json\` (audience \`tessera\`, issuer = the server's public URL).

**Errors** are JSON \`{ code, message, data }\` with the tRPC code and its HTTP status;
\`data.reason\` is a stable snake_case code to branch on (\`invalid_credentials\`,
\`email_taken\`, \`too_many_attempts\`, …: the README's "Errors" section lists them all); a 400
adds \`fieldErrors\` (messages per input field) and, for schema failures, zod's \`issues\`. A 5xx
never carries details.

**Lists** are cursor-paginated: pass the \`nextCursor\` of one page as \`cursor\` to get the next;
\`null\` means the last page.
`.trim();

/**
 * The OpenAPI 3.1 document of every procedure with REST metadata, generated by
 * trpc-to-openapi and then finished here: which operations need a token, the statuses
 * they really answer (201 on create, our error body), examples and descriptions.
 */
export function buildOpenApiDocument(router: OpenApiRouter, info: DocumentInfo): OpenAPIObject {
  const document = generateOpenApiDocument(router, {
    title: info.title,
    version: info.version,
    description: DESCRIPTION,
    baseUrl: REST_BASE,
    securitySchemes: {
      bearerAuth: {
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'JWT',
        description:
          'An access token from /auth/register, /auth/login or /auth/refresh (EdDSA JWT, 15 minutes).',
      },
    },
    // Named once and referenced, rather than repeated inline in every operation.
    defs: { Error: restError, User: user, UserPage: userPage, AuthResult: authResult, Session: sessionView },
  });

  const paths = (document.paths ?? {}) as Record<string, Record<string, Operation>>;
  const usedErrors = new Set<number>();
  const tags = new Set<string>();

  forEachOpenApiProcedure(router._def.procedures, ({ path: procedurePath, procedure, meta }) => {
    const { openapi } = meta;
    const operation = paths[normalizePath(openapi.path)]?.[openapi.method.toLowerCase()];
    if (!operation) return;
    const extras = PROCEDURE_EXTRAS[procedurePath];
    operation['x-trpc-procedure'] = procedurePath;
    for (const tag of openapi.tags ?? []) tags.add(tag);

    // trpc-to-openapi treats a missing `protect` as true; our routers say `protect: true`
    // on exactly the procedures built on protectedProcedure (a test holds them to it).
    const isProtected = openapi.protect === true;
    if (isProtected) operation.security = [{ bearerAuth: [] }];
    else delete operation.security;

    const errors = errorStatuses({
      method: openapi.method,
      hasInput: hasInput(procedure),
      hasPathParameters: openapi.path.includes('{'),
      isProtected,
      extra: [...(extras?.errors ?? []), ...metaErrorStatuses(openapi.errorResponses)],
    });
    const success = operation.responses['200'];
    const status = successStatus(procedurePath);
    const responses: Record<string, unknown> = {
      [status]: status === 201 ? { ...(success as object), description: 'Created' } : success,
    };
    for (const code of errors) {
      usedErrors.add(code);
      responses[code] = ERROR_RESPONSES[code]
        ? { $ref: `#/components/responses/${ERROR_RESPONSES[code].name}` }
        : {
            description: 'Error',
            content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
          };
    }
    operation.responses = responses;

    if (extras?.example) {
      const media = (operation.requestBody as { content?: Record<string, { example?: unknown }> } | undefined)
        ?.content?.['application/json'];
      if (media) media.example = extras.example;
    }
  });

  paths[USER_EXPORT_PATH] = { get: userExportOperation() };
  for (const code of USER_EXPORT_ERRORS) usedErrors.add(code);

  const components = (document.components ??= {});
  // The generator's own error schemas describe a body we no longer send.
  for (const name of Object.keys(components.schemas ?? {}))
    if (name.startsWith('error.')) delete components.schemas![name];
  components.responses = Object.fromEntries(
    [...usedErrors]
      .sort((a, b) => a - b)
      .flatMap((code) => {
        const response = ERROR_RESPONSES[code];
        if (!response) return [];
        return [
          [
            response.name,
            {
              description: response.description,
              ...(response.headers ? { headers: response.headers } : {}),
              content: {
                'application/json': {
                  schema: { $ref: '#/components/schemas/Error' },
                  example: response.example,
                },
              },
            },
          ],
        ];
      }),
  );
  document.tags = [...tags].map((name) => ({
    name,
    ...(TAG_DESCRIPTIONS[name] ? { description: TAG_DESCRIPTIONS[name] } : {}),
  }));
  document.servers = [{ url: REST_BASE, description: 'This server' }];
  return collapseOutputVariants(document);
}

/**
 * zod-openapi renders a named schema twice when its request and response forms differ
 * (`User` and `UserOutput`), even if only one is ever used. Ours are response-only: keep
 * the plain name for the form that is referenced.
 */
function collapseOutputVariants(document: OpenAPIObject): OpenAPIObject {
  let json = JSON.stringify(document);
  for (const name of Object.keys(document.components?.schemas ?? {})) {
    const output = `${name}Output`;
    const schemas = (JSON.parse(json) as OpenAPIObject).components?.schemas ?? {};
    if (!(output in schemas) || json.includes(`"#/components/schemas/${name}"`)) continue;
    const { [output]: used, [name]: _unused, ...rest } = schemas;
    const next = JSON.parse(json) as OpenAPIObject;
    next.components!.schemas = { ...rest, [name]: used! };
    json = JSON.stringify(next).replaceAll(
      `"#/components/schemas/${output}"`,
      `"#/components/schemas/${name}"`,
    );
  }
  return JSON.parse(json) as OpenAPIObject;
}

function errorStatuses(op: {
  method: string;
  hasInput: boolean;
  hasPathParameters: boolean;
  isProtected: boolean;
  extra: number[];
}): number[] {
  const statuses = new Set<number>([500, 503, ...op.extra]);
  const hasBody = op.method === 'POST' || op.method === 'PATCH' || op.method === 'PUT';
  if (op.hasInput || hasBody) statuses.add(400);
  if (hasBody) {
    statuses.add(413);
    statuses.add(415);
  }
  if (op.isProtected) {
    statuses.add(401);
    statuses.add(403);
  } else {
    // Anonymous callers are throttled per address and per account.
    statuses.add(429);
  }
  if (op.hasPathParameters) statuses.add(404);
  return [...statuses].sort((a, b) => a - b);
}

function metaErrorStatuses(errorResponses: number[] | Record<number, string> | undefined): number[] {
  if (!errorResponses) return [];
  return Array.isArray(errorResponses) ? errorResponses : Object.keys(errorResponses).map(Number);
}

const USER_EXPORT_ERRORS = [400, 401, 403, 500, 503];

/** The one REST-only operation (a file is not a tRPC answer), written out by hand. */
function userExportOperation(): Operation {
  return {
    operationId: 'users-export',
    summary: 'Every user as a file: CSV or JSON Lines (admins)',
    description:
      `Streams every account in email order, at constant memory on the server. Columns: ${EXPORT_COLUMNS.join(', ')} ` +
      '(every field of `User`, never a password hash). CSV follows RFC 4180 with a header row and CRLF line ends; ' +
      'a cell starting with = + - @, a tab or a carriage return gets a leading apostrophe so spreadsheets do not run ' +
      'it as a formula. JSON Lines has one `User` object per line. Audited as `users.export`.',
    tags: ['users'],
    security: [{ bearerAuth: [] }],
    parameters: [
      {
        name: 'format',
        in: 'query',
        required: false,
        schema: { type: 'string', enum: [...exportFormats], default: 'csv' },
      },
    ],
    responses: {
      200: {
        description: 'The file (Content-Disposition: attachment)',
        content: {
          'text/csv': { schema: { type: 'string' } },
          'application/jsonl': { schema: { type: 'string' } },
        },
      },
      ...Object.fromEntries(
        USER_EXPORT_ERRORS.map((code) => [
          code,
          { $ref: `#/components/responses/${ERROR_RESPONSES[code]!.name}` },
        ]),
      ),
    },
  };
}

/** Whether a procedure takes any input (`z.void()` does not). */
function hasInput(procedure: { _def: unknown }): boolean {
  const inputs = (procedure._def as { inputs?: { _zod?: { def?: { type?: string } } }[] }).inputs ?? [];
  return inputs.some((schema) => schema._zod?.def?.type !== 'void');
}
