import { TRPCClientError } from '@trpc/client';
import type { TRPC_ERROR_CODE_KEY } from '@trpc/server/rpc';
import type { AppRouter } from '@tessera/api';

/** An error thrown by a client call. */
export type TesseraClientError = TRPCClientError<AppRouter>;

/** The error code of a failed call (`'UNAUTHORIZED'`, `'CONFLICT'`, …), or undefined. */
export function errorCode(error: unknown): TRPC_ERROR_CODE_KEY | undefined {
  return isTesseraError(error) ? error.data?.code : undefined;
}

/**
 * Why a call failed, as the server's stable snake_case code (`'invalid_credentials'`,
 * `'email_taken'`, `'too_many_attempts'`, …): the same whatever the language of `message`.
 */
export function errorReason(error: unknown): string | undefined {
  if (!isTesseraError(error)) return undefined;
  const data = error.data as { reason?: unknown } | undefined;
  return typeof data?.reason === 'string' ? data.reason : undefined;
}

/** Field errors of a BAD_REQUEST (`{ password: ['Password must be…'] }`), or undefined. */
export function fieldErrors(error: unknown): Record<string, string[] | undefined> | undefined {
  if (!isTesseraError(error)) return undefined;
  const data = error.data as { fieldErrors?: Record<string, string[] | undefined> | null } | undefined;
  return data?.fieldErrors ?? undefined;
}

/** True for errors thrown by a Tessera client call. */
export function isTesseraError(error: unknown): error is TesseraClientError {
  return error instanceof TRPCClientError;
}
