import { randomUUID, sign as signBytes, verify as verifySignature } from 'node:crypto';
import { roles, type AccessTokenClaims, type AccessTokens, type Role } from '@tessera/api';
import type { SigningKeys } from './keys.js';

export interface AccessTokenOptions {
  keys: SigningKeys;
  issuer: string;
  audience: string;
  ttlSeconds: number;
  now?: () => number;
}

/** RFC 9068's media type for JWT access tokens; a token without it is not ours. */
const TOKEN_TYPE = 'at+jwt';
const BASE64URL = /^[A-Za-z0-9_-]+$/;
/** Header parameters that would let a token pick its own key; we never honour them. */
const FORBIDDEN_HEADERS = ['jwk', 'jku', 'x5u', 'x5c', 'crit'];
const CLOCK_SKEW_SECONDS = 5;
/** How many verified tokens are remembered (~1.3 KB each, measured: 10,000 ≈ 13 MB); the oldest make room. */
export const VERIFIED_TOKENS_KEPT = 10_000;

/**
 * EdDSA access tokens (compact JWS), signed and verified with node:crypto directly,
 * synchronously: jose's WebCrypto path would queue every sign-in and signed-in request
 * behind argon2 hashes on the libuv pool (see STACK-NOTES), and an Ed25519 signature takes
 * tens of microseconds. The verify checks follow RFC 8725: one algorithm, keys only from our
 * own set by `kid`, and `typ`, `iss`, `aud`, `exp` all required.
 */
export function createAccessTokens(options: AccessTokenOptions): AccessTokens {
  const { keys, issuer, audience, ttlSeconds } = options;
  const nowSeconds = () => Math.floor((options.now?.() ?? Date.now()) / 1000);
  // The header never changes for a key: encoded once.
  const headerPart = base64url({ alg: 'EdDSA', kid: keys.kid, typ: TOKEN_TYPE });
  /**
   * Tokens whose signature checked out lately, by their whole text, with their claims. A client
   * sends the same access token with every request of its lifetime, and the Ed25519 verify was
   * a sixth of a signed-in request's event-loop time. Only a verified token is kept; its claims
   * are checked again at each use (it expires on time), and the session behind it is still
   * looked up on every request, so a sign-out or a disabled account takes effect at once.
   */
  const verified = new Map<string, Record<string, unknown>>();
  const remember = (token: string, claims: Record<string, unknown>) => {
    if (verified.size >= VERIFIED_TOKENS_KEPT) verified.delete(verified.keys().next().value!);
    verified.set(token, claims);
  };

  return {
    ttlSeconds,

    // eslint-disable-next-line @typescript-eslint/require-await -- the port is async; signing needs no I/O
    async sign({ sub, sid, role }) {
      const iat = nowSeconds();
      const claims = {
        role,
        sid,
        iss: issuer,
        aud: audience,
        sub,
        iat,
        exp: iat + ttlSeconds,
        jti: randomUUID(),
      };
      const signingInput = `${headerPart}.${base64url(claims)}`;
      const signature = signBytes(null, Buffer.from(signingInput), keys.privateKey);
      return `${signingInput}.${signature.toString('base64url')}`;
    },

    // eslint-disable-next-line @typescript-eslint/require-await -- the port is async; this check needs no I/O
    async verify(token) {
      const known = verified.get(token);
      if (known) {
        const checked = checkClaims(known, issuer, audience, nowSeconds());
        if (!checked) verified.delete(token); // Expired: it will never pass again.
        return checked;
      }
      const parts = token.split('.');
      if (parts.length !== 3 || !parts.every((p) => BASE64URL.test(p))) return undefined;
      const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];

      const header = decodeJson(headerPart);
      if (!header || header.alg !== 'EdDSA' || header.typ !== TOKEN_TYPE) return undefined;
      if (FORBIDDEN_HEADERS.some((name) => name in header)) return undefined;
      const key = typeof header.kid === 'string' ? keys.publicKeys.get(header.kid) : undefined;
      if (!key) return undefined;

      const signature = Buffer.from(signaturePart, 'base64url');
      // One spelling per signature: the last base64url character of 64 bytes carries 4 spare
      // bits, and 16 texts of one token would each be remembered apart.
      if (signature.length !== 64 || signature.toString('base64url') !== signaturePart) return undefined;
      const signed = Buffer.from(`${headerPart}.${payloadPart}`);
      if (!verifySignature(null, signed, key, signature)) return undefined;

      const claims = decodeJson(payloadPart);
      const checked = claims && checkClaims(claims, issuer, audience, nowSeconds());
      if (checked) remember(token, claims);
      return checked;
    },
  };
}

function checkClaims(
  claims: Record<string, unknown>,
  issuer: string,
  audience: string,
  now: number,
): AccessTokenClaims | undefined {
  const { iss, aud, exp, nbf, sub, sid, role } = claims;
  if (iss !== issuer) return undefined;
  if (!(aud === audience || (Array.isArray(aud) && aud.includes(audience)))) return undefined;
  if (typeof exp !== 'number' || exp + CLOCK_SKEW_SECONDS <= now) return undefined;
  if (nbf !== undefined && (typeof nbf !== 'number' || nbf - CLOCK_SKEW_SECONDS > now)) return undefined;
  if (typeof sub !== 'string' || typeof sid !== 'string') return undefined;
  if (!roles.includes(role as Role)) return undefined;
  return { sub, sid, role: role as Role };
}

function base64url(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

function decodeJson(part: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
