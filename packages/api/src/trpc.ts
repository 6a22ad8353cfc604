import { initTRPC } from '@trpc/server';
import { z, ZodError } from 'zod';
import type { Actor, Context } from './context.js';
import { apiError, databaseUnavailable, notSignedIn, reasonOf, ReasonError } from './errors.js';
import { errorMessage } from './i18n/error-messages.js';
import { localizedIssues } from './i18n/field-messages.js';
import type { Locale } from './i18n/locales.js';
import { OverloadedError } from './ports/index.js';

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

/** For anyone, signed in or not. */
export const publicProcedure = t.procedure.use(unavailableAs503);

/**
 * For a signed-in caller. Beyond the token's signature and expiry, the session must still
 * be live and its user enabled: revocation, disabling and deletion take effect at once.
 */
export const protectedProcedure = publicProcedure.use(async ({ ctx, next }) => {
  const actor = await authenticate(ctx);
  if (!actor) throw notSignedIn();
  return next({ ctx: { actor } });
});

async function authenticate({ deps, request }: Context): Promise<Actor | undefined> {
  const match = /^Bearer ([A-Za-z0-9._~+/=-]+)$/.exec(request.authorization ?? '');
  if (!match?.[1]) return undefined;
  const claims = await deps.accessTokens.verify(match[1]);
  if (!claims) return undefined;
  const live = await deps.stores.sessions.findLive(claims.sid, deps.clock.now());
  if (!live || live.user.id !== claims.sub || live.user.disabledAt) return undefined;
  return live;
}
