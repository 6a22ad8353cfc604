// For Node services that work beside Tessera (also re-exported by '@tessera/client'). Kept in
// a module of its own so bundlers drop it, and jose and standardwebhooks with it, from web
// apps that never import it (the package is free of side effects).
import type { AppRouter, Role, WebhookEventType } from '@tessera/api';
import type { inferRouterOutputs } from '@trpc/server';
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import { Webhook } from 'standardwebhooks';

type User = inferRouterOutputs<AppRouter>['users']['me'];

export interface VerifyAccessTokenOptions {
  /** Where Tessera runs: its keys are fetched from `${url}/.well-known/jwks.json` and cached. */
  url: string;
  /** The expected `iss`: Tessera's PUBLIC_URL (or JWT_ISSUER). Defaults to `url`'s origin. */
  issuer?: string;
  /** The expected `aud` (Tessera's JWT_AUDIENCE). Defaults to `tessera`. */
  audience?: string;
}

/** What a verified access token says about its bearer. */
export interface VerifiedAccessToken {
  userId: string;
  role: Role;
  sessionId: string;
  /** Every claim (`iss`, `aud`, `exp`, `iat`, `jti`, …). */
  payload: JWTPayload;
}

/** One key set per Tessera: fetched once, cached, refetched when a token names an unknown key (rotation). */
const keySets = new Map<string, ReturnType<typeof createRemoteJWKSet>>();

function keySet(url: string) {
  const jwksUrl = new URL('/.well-known/jwks.json', url).toString();
  let set = keySets.get(jwksUrl);
  if (!set) {
    set = createRemoteJWKSet(new URL(jwksUrl));
    keySets.set(jwksUrl, set);
  }
  return set;
}

/**
 * Checks a Tessera access token offline (signature with the published keys, expiry, `iss`,
 * `aud`, `typ: at+jwt`, EdDSA only) and returns who it is for. Throws for any token that
 * fails. Offline means a logout or a disable is seen only when the token expires (15 minutes):
 * ask Tessera (`users.get`) when the answer must be live.
 */
export async function verifyAccessToken(
  token: string,
  options: VerifyAccessTokenOptions,
): Promise<VerifiedAccessToken> {
  const { payload } = await jwtVerify(token, keySet(options.url), {
    issuer: options.issuer ?? new URL(options.url).origin,
    audience: options.audience ?? 'tessera',
    typ: 'at+jwt',
    algorithms: ['EdDSA'],
    requiredClaims: ['sub', 'sid', 'role', 'exp'],
  });
  return {
    userId: payload.sub!,
    role: payload.role as Role,
    sessionId: payload.sid as string,
    payload,
  };
}

/** An event Tessera sent: `data.user` is the user as they are after the change (before it, for `user.deleted`). */
export interface WebhookEvent {
  type: WebhookEventType;
  /** When the change happened (ISO 8601). */
  timestamp: string;
  data: {
    user: User;
    /** `session.revoked`: the session that ended, or null when every session of the user ended. */
    sessionId?: string | null;
    /** `user.role_changed`: the role before. */
    previousRole?: Role;
  };
}

/** Headers as Node (`req.headers`), the Fetch API (`request.headers`) or a plain object hold them. */
export type WebhookHeaders = Headers | Record<string, string | string[] | undefined>;

/**
 * Checks a webhook's Standard Webhooks signature (`webhook-id`, `webhook-timestamp`,
 * `webhook-signature`) against the endpoint's `whsec_…` secret, and that it was signed within
 * five minutes (a replayed old request fails), then returns the event. Pass the body exactly
 * as received (the raw text, not re-serialised JSON). Throws when anything does not match.
 */
export function verifyWebhook(
  body: string | Uint8Array,
  headers: WebhookHeaders,
  secret: string,
): WebhookEvent {
  const read = (name: string): string => {
    const value = headers instanceof Headers ? headers.get(name) : headers[name];
    return (Array.isArray(value) ? value[0] : value) ?? '';
  };
  const text = typeof body === 'string' ? body : new TextDecoder().decode(body);
  return new Webhook(secret).verify(text, {
    'webhook-id': read('webhook-id'),
    'webhook-timestamp': read('webhook-timestamp'),
    'webhook-signature': read('webhook-signature'),
  }) as WebhookEvent;
}
