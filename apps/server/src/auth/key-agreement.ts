import { isDatabaseUnavailable, recordSigningKey, type DatabaseHandle } from '@tessera/db';
import type { FastifyInstance } from 'fastify';
import { refusalBody } from '../http/rest/errors.js';
import type { SigningKeys } from './keys.js';

/** Where this node stands: its key is the nodes' key, is not, or could not be checked yet. */
export type KeyAgreementState = 'agreed' | 'refused' | 'unchecked';

export interface KeyAgreement {
  /** Checks again (one check at a time) while the answer is unknown; otherwise answers at once. */
  check: () => Promise<KeyAgreementState>;
  /** True once the key is known to agree (the mail worker's gate); a function, passed on alone. */
  ready: () => Promise<boolean>;
}

/** This node's signing key is not the one the other nodes use. The message is one line naming JWT_PRIVATE_KEY. */
export class SigningKeyMismatchError extends Error {
  override name = 'SigningKeyMismatchError';
}

/**
 * Makes sure every node on one PostgreSQL database signs (and derives its mail and refresh
 * keys) from the same key: a node with another key would issue tokens the others refuse and
 * queue mail they cannot read. The first node to start records its public key; a node whose
 * key differs refuses to start ({@link SigningKeyMismatchError}) unless the recorded key is
 * its JWT_PREVIOUS_PUBLIC_KEY, in which case it records its own (a rotation).
 *
 * On PGlite there is nothing to agree with: one process opens the embedded database, and its
 * generated key lives beside it in the same data folder.
 *
 * When the database cannot be reached at start (possible with MIGRATE_ON_START=false) the
 * node starts as it did before, but holds back: every /trpc and /api request and every
 * outbox pass runs the check first; if it then finds another key, those answer 503 and the
 * error is logged, since the process can no longer refuse to start.
 */
export async function agreeOnSigningKey(
  app: FastifyInstance,
  database: DatabaseHandle,
  keys: SigningKeys,
  generated: boolean,
): Promise<KeyAgreement> {
  if (database.engine === 'pglite') return settled('agreed');

  /** Undefined when this node's key is the recorded one, else the refusal to report. */
  const compare = async (): Promise<SigningKeyMismatchError | undefined> => {
    const recorded = await recordSigningKey(
      database.db,
      { kid: keys.kid, publicKey: keys.publicKeyPem },
      keys.previousKid,
    );
    return recorded.kid === keys.kid
      ? undefined
      : new SigningKeyMismatchError(mismatchMessage(keys.kid, recorded.kid, generated));
  };

  try {
    const refusal = await compare();
    if (refusal) throw refusal;
    return settled('agreed');
  } catch (error) {
    if (!isDatabaseUnavailable(error) && !isMissingTable(error)) throw error;
    app.log.warn(
      'the signing key could not be checked against the database yet; API requests and mail wait for the check',
    );
  }

  let state: KeyAgreementState = 'unchecked';
  let inFlight: Promise<KeyAgreementState> | undefined;
  const check = async (): Promise<KeyAgreementState> => {
    if (state !== 'unchecked') return state;
    inFlight ??= compare()
      .then((refusal) => {
        state = refusal ? 'refused' : 'agreed';
        if (refusal) app.log.fatal(refusal.message);
        return state;
      })
      .catch((error: unknown) => {
        if (!isDatabaseUnavailable(error) && !isMissingTable(error)) throw error;
        return state;
      })
      .finally(() => {
        inFlight = undefined;
      });
    return inFlight;
  };

  app.addHook('onRequest', async (request, reply) => {
    if (state === 'agreed' || !/^\/(trpc|api)(\/|\?|$)/.test(request.url)) return;
    // Still unknown because the database is down: the request meets the outage itself (503).
    if ((await check()) === 'refused')
      return reply.code(503).send(refusalBody(503, 'signing_key_mismatch', request.locale));
  });
  return { check, ready: async () => (await check()) === 'agreed' };
}

function settled(state: KeyAgreementState): KeyAgreement {
  return { check: () => Promise.resolve(state), ready: () => Promise.resolve(state === 'agreed') };
}

/** `relation does not exist`: the migration that adds the table has not run (MIGRATE_ON_START=false). */
function isMissingTable(error: unknown): boolean {
  return (error as { code?: unknown } | undefined)?.code === '42P01';
}

function mismatchMessage(own: string, recorded: string, generated: boolean): string {
  const ours = generated
    ? `this node has no JWT_PRIVATE_KEY and generated its own key (kid ${own}) in DATA_DIR`
    : `this node's JWT_PRIVATE_KEY has kid ${own}`;
  return (
    `JWT_PRIVATE_KEY: ${ours}, but the other nodes on this database sign with kid ${recorded}. ` +
    `Give every node the same JWT_PRIVATE_KEY; to rotate to a new key on purpose, also set ` +
    `JWT_PREVIOUS_PUBLIC_KEY to the recorded public key (SELECT public_key FROM signing_key).`
  );
}
