import type { RequestInfo } from '../context.js';
import type { Deps, Stores, UserRecord } from '../ports/index.js';
import type { AuthResult } from '../schemas/auth.js';
import { hashToken, newOpaqueToken } from '../secrets.js';
import { toUser } from './user-view.js';

/** Opens a session for `user` (inside the caller's transaction) and returns its tokens. */
export async function startSession(
  deps: Deps,
  stores: Stores,
  user: UserRecord,
  request: RequestInfo,
): Promise<AuthResult> {
  const refreshToken = newOpaqueToken();
  const now = deps.clock.now();
  const session = await stores.sessions.create({
    userId: user.id,
    refreshTokenHash: hashToken(refreshToken),
    userAgent: request.userAgent,
    ip: request.ip,
    expiresAt: new Date(now.getTime() + deps.settings.refreshTokenTtlSeconds * 1000),
  });
  return authResult(deps, user, session.id, refreshToken);
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
