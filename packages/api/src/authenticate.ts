/**
 * Who is calling: the one check behind every protected procedure (trpc.ts) and every route
 * outside tRPC (the users export, the gate before an import's body is read).
 */
import { isPerson, type Caller, type Context, type KeyActor } from './context.js';
import { apiError, authorize, mfaEnrollmentRequired, notSignedIn } from './errors.js';
import { mfaEnrollmentRequired as needsMfaEnrollment, type Action } from './policy.js';
import { API_KEY_PREFIX, hashToken } from './secrets.js';
import { subjectOf } from './services/caller.js';

/**
 * The caller of `procedure` (a procedure name, or the name a REST-only route goes by, such as
 * `users.export`): {@link authenticate}, then a person still owes the second factor their
 * role requires (a key has none to set up). Every way in goes through here, so a route added
 * outside tRPC cannot forget the gate.
 */
export async function authenticateFor(ctx: Context, procedure: string): Promise<Caller | undefined> {
  const caller = await authenticate(ctx);
  if (
    caller &&
    isPerson(caller) &&
    needsMfaEnrollment(caller.user, ctx.deps.settings.mfaRequiredRoles, procedure)
  )
    throw mfaEnrollmentRequired();
  return caller;
}

/**
 * The caller behind a bearer token: an access token whose session is live and whose user is
 * enabled, or a live API key. The one check of every protected procedure, and of the
 * REST-only routes outside tRPC (which refuse keys themselves when they are person-only).
 */
export async function authenticate(ctx: Context): Promise<Caller | undefined> {
  const { deps, request } = ctx;
  const match = /^Bearer ([A-Za-z0-9._~+/=-]+)$/.exec(request.authorization ?? '');
  if (!match?.[1]) return undefined;
  if (match[1].startsWith(API_KEY_PREFIX)) return authenticateApiKey(ctx, match[1]);
  const claims = await deps.accessTokens.verify(match[1]);
  if (!claims) return undefined;
  const live = await deps.stores.sessions.findLive(claims.sid, deps.clock.now());
  if (!live || live.user.id !== claims.sub || live.user.disabledAt) return undefined;
  return live;
}

/**
 * A key is looked up by its hash on every request, so a revocation or an expiry is seen by
 * every node at once. Each key has its own budget of requests (API_KEY_RATE_LIMIT).
 */
async function authenticateApiKey({ deps, request }: Context, secret: string): Promise<KeyActor | undefined> {
  const apiKey = await deps.stores.apiKeys.useLive(hashToken(secret), deps.clock.now());
  if (!apiKey) return undefined;
  const limit = deps.settings.apiKeyLimit;
  if (limit) {
    const { count, resetInSeconds } = await deps.throttle.hit(`api-key:${apiKey.id}`, limit.windowSeconds);
    if (count > limit.max) {
      request.setHeader('Retry-After', String(Math.max(1, resetInSeconds)));
      throw apiError('TOO_MANY_REQUESTS', 'rate_limited', {
        retryAfterSeconds: Math.max(1, resetInSeconds),
        what: 'apiKey',
      });
    }
  }
  return { apiKey };
}

/**
 * Throws what `procedure` would answer (401, 403 with its reason) unless the request's caller
 * may do `action`. For gates that run before a body is read: a route that takes a big body
 * (users.import) reads it only for someone allowed to send it.
 */
export async function admitCaller(ctx: Context, procedure: string, action: Action): Promise<void> {
  const caller = await authenticateFor(ctx, procedure);
  if (!caller) throw notSignedIn();
  authorize(subjectOf(caller), action);
}
