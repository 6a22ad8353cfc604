import type { FastifyInstance, FastifyRequest } from 'fastify';
import { procedureCalls, replyWithError } from '../http/procedure-calls.js';
import { addressBudget } from './client-address.js';

/**
 * The procedures that may run argon2 when called: a password checked (sign-in, the current
 * password before a sensitive change) or hashed (sign-up, a new password, an account created
 * with one). users.updateMe needs a check only for a new email and users.create a hash only
 * with a password, both in a body this hook runs before; they are counted every time, which
 * costs a person nothing (a few at once is plenty).
 */
const RUNS_ARGON2: ReadonlySet<string> = new Set([
  'auth.login',
  'auth.register',
  'auth.changePassword',
  'auth.resetPassword',
  'users.deleteMe',
  'users.updateMe',
  'users.create',
  'mfa.totpSetup',
  'mfa.totpDisable',
  'mfa.regenerateRecoveryCodes',
]);

/** A refused client may try again as soon as one of its running checks ends, well within a second. */
const RETRY_AFTER_SECONDS = 1;

interface Held {
  address: string;
  calls: number;
  /** The procedure may be running: its argon2 work goes on whether or not the client stays. */
  running: boolean;
}

/**
 * At most `max` password checks (argon2 calls, above) in flight per client address — the same
 * budget as every limit: `request.ip`, IPv6 per /64 — on this node. Without it one address
 * could fill the whole argon2 line (ARGON2_MAX_QUEUE) with sign-ins that succeed or are refused
 * 503, neither of which counts against any windowed limit, and every real user would get 503.
 * A request beyond it is answered 429 `too_many_in_flight` at once, with `Retry-After: 1`,
 * before its body is read; a tRPC batch takes a slot per call and is refused whole.
 *
 * A slot is held while the work can be running and given back exactly once: when the answer
 * is ready (onSend, which also runs for a client that has gone: the check has ended by then),
 * or — if the client leaves before the procedure could start — when it aborts. Given back on
 * every abort, a client could start a check, hang up and start the next one, and still fill
 * the line.
 */
export function registerPasswordChecksInFlight(app: FastifyInstance, max: number | undefined): void {
  if (max === undefined) return;
  const inFlight = new Map<string, number>();
  const held = new WeakMap<FastifyRequest, Held>();

  const release = (request: FastifyRequest) => {
    const slot = held.get(request);
    if (!slot) return;
    held.delete(request);
    const left = (inFlight.get(slot.address) ?? 0) - slot.calls;
    // Only addresses with checks running have an entry, so the map stays as small as the traffic.
    if (left > 0) inFlight.set(slot.address, left);
    else inFlight.delete(slot.address);
  };

  app.addHook('onRequest', async (request, reply) => {
    // Every such procedure is a mutation: tRPC refuses a GET for one, REST twins are POST.
    if (request.method !== 'POST') return;
    const target = procedureCalls(request);
    const calls = target?.calls.filter((call) => RUNS_ARGON2.has(call)).length ?? 0;
    if (!target || calls === 0) return;
    const address = addressBudget(request.ip);
    const running = inFlight.get(address) ?? 0;
    if (running + calls > max) {
      reply.header('Retry-After', String(RETRY_AFTER_SECONDS));
      return replyWithError(reply, target, 429, 'TOO_MANY_REQUESTS', 'too_many_in_flight');
    }
    inFlight.set(address, running + calls);
    held.set(request, { address, calls, running: false });
  });
  app.addHook('preHandler', (request, _reply, done) => {
    const slot = held.get(request);
    if (slot) slot.running = true;
    done();
  });
  app.addHook('onSend', async (request, _reply, payload) => {
    release(request);
    return payload;
  });
  // A backstop: onSend precedes it for every answer that is sent.
  app.addHook('onResponse', (request, _reply, done) => {
    release(request);
    done();
  });
  app.addHook('onRequestAbort', (request, done) => {
    if (!held.get(request)?.running) release(request);
    done();
  });
}
