import type { FastifyRequest } from 'fastify';

/** Why one procedure call of a request failed: its name (when known) and its stable reason. */
export interface FailedCall {
  procedure: string | undefined;
  reason: string;
}

const failures = new WeakMap<FastifyRequest, FailedCall[]>();

/**
 * Notes a call's failure where it is decided — a procedure's error (the tRPC route and the
 * REST adapter report each one) or a refusal by a hook before any procedure ran — so what
 * reads the outcome later (the metrics) never has to parse an answer back.
 */
export function recordFailure(request: FastifyRequest, procedure: string | undefined, reason: string): void {
  const list = failures.get(request);
  if (list) list.push({ procedure, reason });
  else failures.set(request, [{ procedure, reason }]);
}

/** The failures recorded for a request, in the order they happened (empty when none). */
export function failuresOf(request: FastifyRequest): readonly FailedCall[] {
  return failures.get(request) ?? [];
}
