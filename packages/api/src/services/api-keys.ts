import type { Caller, RequestInfo } from '../context.js';
import { authorize, fieldError, notFound } from '../errors.js';
import type { ApiKeyRecord, Deps } from '../ports/index.js';
import type { ApiKey, CreateApiKeyInput, CreatedApiKey } from '../schemas/api-keys.js';
import { API_KEY_PREFIX_LENGTH, hashToken, newApiKeySecret } from '../secrets.js';
import { auditedBy, currentSubject, subjectOf } from './caller.js';

/**
 * Creates a key for another service. The secret is returned this once: only its SHA-256
 * and its first 12 characters (`prefix`) are kept.
 */
export async function createApiKey(
  deps: Deps,
  request: RequestInfo,
  caller: Caller,
  input: CreateApiKeyInput,
): Promise<CreatedApiKey> {
  authorize(subjectOf(caller), 'apiKeys.manage');
  const expiresAt = input.expiresAt === undefined ? null : new Date(input.expiresAt);
  if (expiresAt && expiresAt <= deps.clock.now()) throw fieldError('expiresAt', 'invalid_expiry');
  const secret = newApiKeySecret();
  const created = await deps.transact(async (stores) => {
    const me = await currentSubject(deps, stores, caller);
    authorize(me, 'apiKeys.manage');
    const key = await stores.apiKeys.insert({
      name: input.name,
      role: input.role,
      prefix: secret.slice(0, API_KEY_PREFIX_LENGTH),
      tokenHash: hashToken(secret),
      expiresAt,
      createdBy: me.id,
    });
    await stores.audit.record({
      ...auditedBy(me, request),
      action: 'apiKeys.create',
      targetId: key.id,
      metadata: { name: key.name, role: key.role, prefix: key.prefix, expiresAt: input.expiresAt ?? null },
    });
    return key;
  });
  return { apiKey: toApiKey(created), secret };
}

/** Every key, newest first, revoked and expired ones included (their history matters). */
export async function listApiKeys(deps: Deps, caller: Caller): Promise<ApiKey[]> {
  authorize(subjectOf(caller), 'apiKeys.manage');
  return (await deps.stores.apiKeys.list()).map(toApiKey);
}

/** Revokes a key; every node refuses it from the next request on. Revoking twice is fine. */
export async function revokeApiKey(
  deps: Deps,
  request: RequestInfo,
  caller: Caller,
  id: string,
): Promise<void> {
  authorize(subjectOf(caller), 'apiKeys.manage');
  await deps.transact(async (stores) => {
    const me = await currentSubject(deps, stores, caller);
    authorize(me, 'apiKeys.manage');
    const key = await stores.apiKeys.revoke(id, deps.clock.now());
    if (!key) throw notFound('api_key_not_found');
    await stores.audit.record({
      ...auditedBy(me, request),
      action: 'apiKeys.revoke',
      targetId: key.id,
      metadata: { name: key.name, prefix: key.prefix },
    });
  });
}

/** The public face of a key: never its secret or hash. */
export function toApiKey(key: ApiKeyRecord): ApiKey {
  return {
    id: key.id,
    name: key.name,
    role: key.role,
    prefix: key.prefix,
    createdAt: key.createdAt.toISOString(),
    expiresAt: key.expiresAt?.toISOString() ?? null,
    lastUsedAt: key.lastUsedAt?.toISOString() ?? null,
    revokedAt: key.revokedAt?.toISOString() ?? null,
  };
}
