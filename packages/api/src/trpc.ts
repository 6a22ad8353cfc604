import { SpanStatusCode, trace } from '@opentelemetry/api';
import { initTRPC } from '@trpc/server';
import { z, ZodError } from 'zod';
import { authenticateFor } from './authenticate.js';
import { isPerson, type Context } from './context.js';
import {
  apiError,
  databaseUnavailable,
  invalidRefreshToken,
  notSignedIn,
  reasonOf,
  ReasonError,
} from './errors.js';
import { errorMessage } from './i18n/error-messages.js';
import { localizedIssues } from './i18n/field-messages.js';
import type { Locale } from './i18n/locales.js';
import { OverloadedError } from './ports/index.js';
import { isAuthResult } from './schemas/auth.js';

/**
 * Procedure metadata: the REST twin of each procedure (read by trpc-to-openapi). Declared
 * here rather than imported so the client's bundled types never depend on the generator; a
 * type alias (not an interface) so it fits the generator's `Record<string, unknown>` meta.
 */
export type Meta = {
  openapi?: {
    method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
    path: `/${string}`;
    summary?: string;
    description?: string;
    tags?: string[];
    protect?: boolean;
    successDescription?: string;
    errorResponses?: number[] | Record<number, string>;
  };
  /** The procedure's input carries a refresh token, which the web app's cookie stands in for. */
  spendsRefreshToken?: true;
};

const t = initTRPC
  .context<Context>()
  .meta<Meta>()
  .create({
    // Never ship stacks, whatever NODE_ENV says.
    isDev: false,
    /**
     * The one place an error answer takes the caller's language, for tRPC and REST alike
     * (trpc-to-openapi formats through it too): the message is rendered from the reason (and
     * the parameters it was raised with), and zod's issues from their rule, in the language
     * the request asked for. `data.reason` never changes with it.
     */
    errorFormatter({ shape, error, ctx, input }) {
      // No context only when a request fails before one is made (the REST adapter's 415).
      const locale: Locale = ctx?.request.locale ?? 'en';
      const malformedJson = error.code === 'BAD_REQUEST' && error.cause instanceof SyntaxError;
      const reason = malformedJson ? 'malformed_json' : reasonOf(error);
      const base = { ...shape.data, stack: undefined, reason };
      // Our own words for every error not raised with a reason: tRPC's quote what the client
      // sent (the path, the bytes JSON.parse choked on, the Content-Type), and an unexpected
      // error's may carry SQL or driver text. Answers never echo input.
      if (!(error.cause instanceof ZodError)) {
        const message =
          error.cause instanceof ReasonError ? error.cause.messageIn(locale) : errorMessage(reason, locale);
        const fieldErrors: FlatFieldErrors | null =
          error.cause instanceof ReasonError && error.cause.field !== undefined
            ? { formErrors: [], fieldErrors: { [error.cause.field]: [message] } }
            : null;
        return {
          ...shape,
          message,
          data: {
            ...base,
            ...(error.code === 'NOT_FOUND' && !(error.cause instanceof ReasonError)
              ? { path: undefined }
              : {}),
            zodError: fieldErrors,
            fieldErrors: fieldErrors?.fieldErrors ?? null,
          },
        };
      }
      const issues = localizeInPlace(error.cause, locale, input);
      const zodError: FlatFieldErrors = z.flattenError(new ZodError(issues));
      return {
        ...shape,
        message: firstIssueMessage(issues),
        data: { ...base, zodError, fieldErrors: zodError.fieldErrors },
      };
    },
  });

const localized = new WeakSet<ZodError>();

/**
 * Rewrites an input failure's issues in the caller's language, once. In place, because the
 * REST adapter lists the failure's own `issues` in its answer after formatting it: both
 * transports then say the same words.
 */
function localizeInPlace(error: ZodError, locale: Locale, input: unknown): z.core.$ZodIssue[] {
  if (localized.has(error)) return error.issues;
  localized.add(error);
  const issues = localizedIssues(error, locale, input);
  issues.forEach((issue, i) => {
    const own = error.issues[i] as { message: string } | undefined;
    if (own) own.message = issue.message;
  });
  return error.issues;
}

/** zod's flattened errors as a plain type, so client typings never pull in zod's internals. */
export interface FlatFieldErrors {
  formErrors: string[];
  fieldErrors: Record<string, string[] | undefined>;
}

function firstIssueMessage(issues: readonly z.core.$ZodIssue[]): string {
  const issue = issues[0];
  if (!issue) return 'Invalid input';
  const path = issue.path.join('.');
  return path ? `${path}: ${issue.message}` : issue.message;
}

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;

/**
 * The one place where "cannot serve this now" becomes 503, for every procedure: an
 * unreachable database (whatever store failed), and a full password-hashing line
 * (`overloaded`, with Retry-After for when it should have cleared).
 */
const unavailableAs503 = t.middleware(async ({ ctx, next }) => {
  const result = await next();
  if (result.ok) return result;
  const cause = result.error.cause;
  if (cause instanceof OverloadedError) {
    ctx.request.setHeader('Retry-After', String(cause.retryAfterSeconds));
    throw apiError('SERVICE_UNAVAILABLE', 'overloaded');
  }
  if (ctx.deps.isUnavailable(cause)) throw databaseUnavailable();
  return result;
});

const tracer = trace.getTracer('@tessera/api');

/**
 * One span per procedure call (`procedure auth.login`), between the HTTP request's span and
 * the SQL spans under it. Through the OpenTelemetry API only: without an SDK started
 * (OTEL_EXPORTER_OTLP_ENDPOINT unset) these are no-op spans that cost next to nothing.
 */
const traced = t.middleware(({ path, type, next }) =>
  tracer.startActiveSpan(`procedure ${path}`, async (span) => {
    span.setAttributes({ 'rpc.system': 'trpc', 'rpc.method': path, 'tessera.procedure.type': type });
    try {
      const result = await next();
      if (!result.ok) {
        const code = result.error.code;
        span.setAttributes({ 'tessera.error.code': code, 'tessera.error.reason': reasonOf(result.error) });
        if (code === 'INTERNAL_SERVER_ERROR') span.setStatus({ code: SpanStatusCode.ERROR });
      }
      return result;
    } finally {
      span.end();
    }
  }),
);

/**
 * The one place where the web app's refresh token lives in a cookie instead of the body, for
 * every procedure on tRPC and REST alike, when the transport gave the request a
 * `refreshCookie`: whatever returns an `AuthResult` (sign-in, sign-up, refresh, password
 * change, and any later way to sign in) sets the cookie and answers without the token; a
 * procedure marked `spendsRefreshToken` reads the cookie where its input has no token, and
 * clears it once it is spent (sign-out) or refused.
 */
const refreshTokenInCookie = t.middleware(async ({ ctx, meta, getRawInput, next }) => {
  const cookie = ctx.request.refreshCookie;
  if (!cookie) return next();
  const spends = meta?.spendsRefreshToken === true;
  const result = spends
    ? await next({ getRawInput: async () => withCookieToken(await getRawInput(), cookie.read()) })
    : await next();
  if (!result.ok) {
    if (spends && result.error.code === 'UNAUTHORIZED') cookie.clear();
    return result;
  }
  if (isAuthResult(result.data)) {
    cookie.write(result.data.refreshToken, ctx.deps.settings.refreshTokenTtlSeconds);
    const { refreshToken: _inCookie, ...body } = result.data;
    return { ...result, data: body };
  }
  if (spends) cookie.clear();
  return result;
});

/** The raw input with the cookie's token where the caller sent none; no cookie, no session. */
function withCookieToken(raw: unknown, token: string | undefined): unknown {
  const given = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>) : {};
  if (given.refreshToken !== undefined) return raw;
  if (token === undefined) throw invalidRefreshToken();
  return { ...given, refreshToken: token };
}

/** For anyone, signed in or not. */
export const publicProcedure = t.procedure.use(traced).use(unavailableAs503).use(refreshTokenInCookie);

/**
 * For a signed-in person. Beyond the token's signature and expiry, the session must still be
 * live and its user enabled: revocation, disabling and deletion take effect at once. A member
 * of a role in MFA_REQUIRED_ROLES without a second factor reaches only what sets one up
 * (policy.ts).
 *
 * Person-only by construction: an API key is refused here (FORBIDDEN, `api_key_not_allowed`),
 * so every procedure about one's own person (users.me, auth.changePassword, mfa.*, …) is closed
 * to keys without saying so. A procedure a key may call is built on `callerProcedure` instead.
 */
export const protectedProcedure = publicProcedure.use(async ({ ctx, next, path }) => {
  const caller = await authenticateFor(ctx, path);
  if (!caller) throw notSignedIn();
  if (!isPerson(caller)) throw apiError('FORBIDDEN', 'api_key_not_allowed');
  return next({ ctx: { actor: caller } });
});

/**
 * For any authenticated caller: a signed-in person, or another service with an API key
 * (`Authorization: Bearer tsk_…`), acting with the key's role. The services behind these
 * procedures take a `Caller` and decide with the policy like for anyone else.
 */
export const callerProcedure = publicProcedure.use(async ({ ctx, next, path }) => {
  const caller = await authenticateFor(ctx, path);
  if (!caller) throw notSignedIn();
  return next({ ctx: { actor: caller } });
});
