import {
  errorMessage,
  isReason,
  messageIn,
  reasonOf,
  REASON_BY_CODE,
  reasons,
  takesParameters,
  type Locale,
  type Reason,
} from '@tessera/api';
import { getTRPCErrorFromUnknown } from '@trpc/server';
import { getHTTPStatusCodeFromError } from '@trpc/server/http';
import type { TRPC_ERROR_CODE_KEY } from '@trpc/server/rpc';
import type { FastifyError, FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';

/** The tRPC error codes a REST answer can carry, by HTTP status (tRPC's own mapping). */
export const CODE_BY_STATUS: Readonly<Record<number, string>> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_SUPPORTED',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  // Not a tRPC code: Fastify refuses such a path before anything else runs.
  414: 'URI_TOO_LONG',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'TOO_MANY_REQUESTS',
  500: 'INTERNAL_SERVER_ERROR',
  503: 'SERVICE_UNAVAILABLE',
};

/**
 * Every REST error body. `code` is the tRPC code (the same one the typed client reports);
 * a 400 adds `fieldErrors` (as tRPC's `data.fieldErrors`) and, for schema failures, zod's
 * `issues`.
 */
export const restError = z
  .object({
    code: z.string().meta({ description: 'The tRPC error code', example: 'BAD_REQUEST' }),
    message: z
      .string()
      .meta({ description: 'What went wrong, for people', example: 'email: Enter a valid email address' }),
    fieldErrors: z
      .record(z.string(), z.array(z.string()))
      .optional()
      .meta({
        description:
          'Messages per input field (400 only), for both schema failures and rules checked later, e.g. the password policy',
        example: { email: ['Enter a valid email address'] },
      }),
    issues: z
      .array(
        z.object({
          code: z.string().optional(),
          message: z.string(),
          path: z.array(z.union([z.string(), z.number()])).optional(),
        }),
      )
      .optional()
      .meta({ description: 'The zod issues behind a schema failure (400 only)' }),
    data: z
      .object({
        code: z.string(),
        httpStatus: z.number().int(),
        reason: z.enum(reasons).meta({
          description:
            'Why it failed, as a stable snake_case code clients may branch on and translate; the same in every language (the README lists when each is given)',
          example: 'invalid_credentials',
        }),
        fieldErrors: z.record(z.string(), z.array(z.string())).optional(),
        requestId: z.string().optional().meta({
          description: 'On a 5xx: the request id (also the X-Request-Id header) to find its log lines',
        }),
      })
      .meta({
        description:
          'The same details where the tRPC answer keeps them (`data.code`, `data.reason`, `data.fieldErrors`)',
      }),
  })
  .meta({ id: 'Error', description: 'An error answer' });
export type RestError = z.infer<typeof restError>;

/**
 * Reshapes whatever produced an error body (trpc-to-openapi's tRPC error shape, or our own
 * Fastify error handler) into `RestError`. Idempotent, and it keeps only the fields we
 * document, so nothing else (a path, a stack, driver text) can ride along. A body without a
 * message gets its reason's, in `locale` (a procedure's error comes worded already, in the
 * same language: trpc.ts).
 */
export function toRestError(status: number, body: unknown, locale: Locale): RestError {
  const source = isRecord(body) ? body : {};
  const code =
    typeof source.code === 'string' ? source.code : (CODE_BY_STATUS[status] ?? 'INTERNAL_SERVER_ERROR');
  const issues = Array.isArray(source.issues) ? source.issues.filter(isRecord).map(toIssue) : undefined;
  const data = isRecord(source.data) ? source.data : {};
  const fieldErrors = cleanFieldErrors(source.fieldErrors ?? data.fieldErrors);
  const reason: Reason =
    status === 500
      ? 'internal_error'
      : isReason(data.reason)
        ? data.reason
        : (REASON_BY_CODE[code as TRPC_ERROR_CODE_KEY] ?? 'internal_error');

  let message = typeof source.message === 'string' ? source.message : errorMessage(reason, locale);
  // A 500's message could carry SQL or driver text whatever produced it: never pass it on.
  if (status === 500) message = errorMessage('internal_error', locale);
  // Fastify and the adapter word this one differently (the adapter drops a quote): one text.
  else if (status === 415) message = errorMessage('unsupported_media_type', locale);
  // trpc-to-openapi says "Input validation failed"; tRPC names the first problem. Match tRPC.
  else if (issues?.[0]) message = issueMessage(issues[0]);

  return {
    code,
    message,
    ...(fieldErrors ? { fieldErrors } : {}),
    ...(issues?.length ? { issues } : {}),
    // DESIGN.md puts the field errors "in `data`", as tRPC does; REST clients find them both ways.
    data: {
      code,
      httpStatus: status,
      reason,
      ...(fieldErrors ? { fieldErrors } : {}),
      ...(typeof data.requestId === 'string' ? { requestId: data.requestId } : {}),
    },
  };
}

/**
 * Errors Fastify raises before a procedure runs (malformed JSON, body too large, unknown
 * media type), and anything unexpected, answered in the same shape as procedure errors.
 */
export function registerRestErrorHandler(
  scope: FastifyInstance,
  /** False when the adapter failed before making a context (no procedure at that path). */
  hadContext: (request: FastifyRequest) => boolean,
): void {
  scope.setErrorHandler((error: FastifyError, request, reply) => {
    const status =
      error.statusCode && error.statusCode >= 400 && error.statusCode < 600 ? error.statusCode : 500;
    if (status >= 500) request.log.error({ err: error }, 'REST request failed');
    return reply.code(status).send(fastifyErrorBody(status, error, request.locale));
  });

  // Reshape every error body on its way out, including the ones trpc-to-openapi writes itself.
  scope.addHook('onSend', async (request, reply, payload) => {
    if (reply.statusCode < 400 || typeof payload !== 'string') return payload;
    let body: unknown;
    try {
      body = JSON.parse(payload);
    } catch {
      body = undefined;
    }
    reply.header('content-type', 'application/json; charset=utf-8');
    // Without a context the adapter worded its error before the request's language was known
    // (no procedure at that path): its reason's words then. Refusals from our own hooks (a
    // rate limit) come worded in the request's language already, some with parameters.
    const data = isRecord(body) && isRecord(body.data) ? body.data : {};
    if (!hadContext(request) && isRecord(body) && isReason(data.reason) && !takesParameters(data.reason))
      delete body.message;
    return JSON.stringify(toRestError(reply.statusCode, body, request.locale));
  });
}

/**
 * The answer to an error Fastify raised (a body it could not parse, over the limit, of the
 * wrong type): worded from its reason, never from Fastify's message, which may quote the input.
 */
export function fastifyErrorBody(status: number, error: { message: string }, locale: Locale): RestError {
  const code = CODE_BY_STATUS[status] ?? 'INTERNAL_SERVER_ERROR';
  const reason: Reason =
    status === 400 && /JSON/i.test(error.message)
      ? 'malformed_json'
      : (REASON_BY_CODE[code as TRPC_ERROR_CODE_KEY] ?? 'internal_error');
  return toRestError(status, { code, data: { reason } }, locale);
}

/** An error body for a refusal the server gives itself, worded in `locale`. */
export function refusalBody<R extends Reason>(
  status: number,
  reason: R,
  locale: Locale,
  params?: unknown,
): RestError {
  return toRestError(status, { message: errorMessage(reason, locale, params), data: { reason } }, locale);
}

/**
 * The status and body for an error a procedure's code threw outside the adapter (a route of
 * our own, a gate before the body is read): the same code, words and reason the adapter gives.
 */
export function procedureErrorAnswer(cause: unknown, locale: Locale): { status: number; body: RestError } {
  const error = getTRPCErrorFromUnknown(cause);
  const status = getHTTPStatusCodeFromError(error);
  const source = { code: error.code, message: messageIn(error, locale), data: { reason: reasonOf(error) } };
  return { status, body: toRestError(status, source, locale) };
}

type Issue = NonNullable<RestError['issues']>[number];

function toIssue(issue: Record<string, unknown>): Issue {
  const path = Array.isArray(issue.path)
    ? issue.path.filter((p): p is string | number => typeof p === 'string' || typeof p === 'number')
    : undefined;
  return {
    ...(typeof issue.code === 'string' ? { code: issue.code } : {}),
    message: typeof issue.message === 'string' ? issue.message : 'Invalid value',
    ...(path ? { path } : {}),
  };
}

function issueMessage(issue: Issue): string {
  const path = issue.path?.join('.');
  return path ? `${path}: ${issue.message}` : issue.message;
}

function cleanFieldErrors(value: unknown): Record<string, string[]> | undefined {
  if (!isRecord(value)) return undefined;
  const entries = Object.entries(value).flatMap(([field, messages]) =>
    Array.isArray(messages)
      ? [[field, messages.filter((m): m is string => typeof m === 'string')] as const]
      : [],
  );
  return entries.length ? Object.fromEntries(entries) : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
