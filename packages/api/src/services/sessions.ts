import type { Actor, RequestInfo } from '../context.js';
import { notFound } from '../errors.js';
import type { Deps, NewSession, Stores, UserRecord } from '../ports/index.js';
import type { AuthResult, SessionView } from '../schemas/auth.js';
import { hashToken, newOpaqueToken } from '../secrets.js';
import { emit } from './events.js';
import { toUser } from './user-view.js';

/**
 * Rotations after which a session ends and its owner signs in again. Every refresh token of a
 * session stays known (its family, one row each, so that a replay of any of them is caught);
 * this bounds one session's family. Far above an honest session's: 30 days of refreshes every
 * 15 minutes is 2,880.
 */
export const MAX_REFRESH_ROTATIONS = 10_000;

/** Opens a session for `user` (inside the caller's transaction) and returns its tokens. */
export async function startSession(
  deps: Deps,
  stores: Stores,
  user: UserRecord,
  request: RequestInfo,
): Promise<AuthResult> {
  const { session, refreshToken } = newSession(deps, user.id, request);
  const created = await stores.sessions.create(session);
  return authResult(deps, user, created.id, refreshToken);
}

/** A new session's row for `userId` and the refresh token only the client will hold. */
export function newSession(
  deps: Deps,
  userId: string,
  request: RequestInfo,
): { session: NewSession; refreshToken: string } {
  const refreshToken = newOpaqueToken();
  const now = deps.clock.now();
  return {
    refreshToken,
    session: {
      userId,
      refreshTokenHash: hashToken(refreshToken),
      userAgent: request.userAgent,
      ip: request.ip,
      expiresAt: new Date(now.getTime() + deps.settings.refreshTokenTtlSeconds * 1000),
    },
  };
}

/** An `AuthResult` for an existing session with a freshly issued refresh token. */
export async function authResult(
  deps: Deps,
  user: UserRecord,
  sessionId: string,
  refreshToken: string,
): Promise<AuthResult> {
  const accessToken = await deps.accessTokens.sign({ sub: user.id, sid: sessionId, role: user.role });
  return {
    user: toUser(user),
    accessToken,
    tokenType: 'Bearer',
    expiresIn: deps.accessTokens.ttlSeconds,
    refreshToken,
  };
}

/** The caller's live sessions, for "signed-in devices". */
export async function listSessions(deps: Deps, actor: Actor): Promise<SessionView[]> {
  const sessions = await deps.stores.sessions.listLive(actor.user.id, deps.clock.now());
  return sessions.map((s) => ({
    id: s.id,
    userAgent: s.userAgent,
    ip: s.ip,
    createdAt: s.createdAt.toISOString(),
    lastUsedAt: s.lastUsedAt.toISOString(),
    expiresAt: s.expiresAt.toISOString(),
    current: s.id === actor.session.id,
  }));
}

/** Signs one of the caller's own devices out. Someone else's session id is simply not found. */
export async function revokeSession(
  deps: Deps,
  actor: Actor,
  request: RequestInfo,
  id: string,
): Promise<void> {
  const now = deps.clock.now();
  await deps.transact(async (stores) => {
    if (!(await stores.sessions.revokeOwn(id, actor.user.id, now))) throw notFound('session_not_found');
    await emit(deps, stores, 'session.revoked', actor.user, { sessionId: id });
    await stores.audit.record({
      actorId: actor.user.id,
      action: 'auth.session.revoke',
      targetId: actor.user.id,
      ip: request.ip,
      userAgent: request.userAgent,
      metadata: { sessionId: id },
    });
  });
}
