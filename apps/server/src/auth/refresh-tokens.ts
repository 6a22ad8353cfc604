import { createHmac } from 'node:crypto';
import type { RefreshTokenDeriver } from '@tessera/api';

/** Successor refresh tokens as HMAC-SHA256(key, session id, presented token's hash): 32 bytes, base64url. */
export function refreshTokenDeriver(key: Uint8Array): RefreshTokenDeriver {
  return {
    successor: (sessionId, presentedHash) =>
      createHmac('sha256', key).update(`${sessionId}.${presentedHash}`).digest('base64url'),
  };
}
