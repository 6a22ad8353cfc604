import { isPerson, type Caller, type RequestInfo } from '../context.js';
import { notSignedIn } from '../errors.js';
import type { Subject } from '../policy.js';
import type { ActorKind, Deps, Stores } from '../ports/index.js';

/**
 * Who the policy judges: a person as themselves, a key as its own id with its role. A key's
 * id is never a user's, so rules about "oneself" never apply to a key.
 */
export function subjectOf(caller: Caller): Subject {
  return isPerson(caller) ? caller.user : { id: caller.apiKey.id, role: caller.apiKey.role };
}

/** The caller as the audit log names it: the person, or the key. */
export function actorOf(caller: Caller): { id: string; kind: ActorKind } {
  return isPerson(caller) ? { id: caller.user.id, kind: 'user' } : { id: caller.apiKey.id, kind: 'api_key' };
}

/** The audit log's actor fields. */
export function auditedBy(actor: { id: string; kind: ActorKind }, request: RequestInfo) {
  return { actorId: actor.id, actorKind: actor.kind, ip: request.ip, userAgent: request.userAgent };
}

/** A caller as the database has it now, inside the transaction: roles change, keys get revoked. */
export interface CurrentSubject extends Subject {
  kind: ActorKind;
}

/** Re-reads the caller in `stores`' transaction; a disabled person or a dead key is signed out. */
export async function currentSubject(deps: Deps, stores: Stores, caller: Caller): Promise<CurrentSubject> {
  if (isPerson(caller)) {
    const me = await stores.users.findById(caller.user.id);
    if (!me || me.disabledAt) throw notSignedIn();
    return { id: me.id, role: me.role, kind: 'user' };
  }
  const key = await stores.apiKeys.findLive(caller.apiKey.id, deps.clock.now());
  if (!key) throw notSignedIn();
  return { id: key.id, role: key.role, kind: 'api_key' };
}
