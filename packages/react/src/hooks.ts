import {
  type AuthResult,
  type MfaChallenge,
  type RouterInputs,
  type RouterOutputs,
  type AppRouter,
  type SessionEvent,
  type User,
} from '@tessera/client';
import { useQuery, type UseQueryResult } from '@tanstack/react-query';
import type { TRPCClientErrorLike } from '@trpc/client';
import { useContext, useEffect, useMemo, useRef } from 'react';
import { SessionContext, type SessionState } from './session-context.js';
import { useTRPC } from './trpc.js';

/** What `signIn` ends with: signed in, or a second factor to ask for. */
export type SignInResult =
  { status: 'signed-in'; user: User } | { status: 'challenge'; challenge: MfaChallenge };

export interface UseSession {
  /** `loading` until the session is restored, then `signed-in` (with the user), `signed-out` or `unreachable`. */
  state: SessionState;
  /** Signs in with email and password; an account with a second factor answers with a challenge. */
  signIn: (input: RouterInputs['auth']['login']) => Promise<SignInResult>;
  /** Creates the account and signs in. */
  signUp: (input: RouterInputs['auth']['register']) => Promise<User>;
  /**
   * Adopts the tokens of any procedure that returns an AuthResult: the end of a challenge
   * (`auth.verifyMfa`, `auth.passkeyLogin`) or a password change.
   */
  accept: (result: AuthResult) => void;
  /** Ends this device's session (and, through the tab sync, this browser's other tabs). */
  signOut: () => Promise<void>;
}

/** True for the answer of a sign-in that needs a second factor (DESIGN.md, MfaChallenge). */
export function isChallenge(value: unknown): value is MfaChallenge {
  return (
    typeof value === 'object' && value !== null && (value as { mfaRequired?: unknown }).mfaRequired === true
  );
}

function useSessionContext() {
  const context = useContext(SessionContext);
  if (!context) throw new Error('Tessera hooks need a <TesseraProvider> above them');
  return context;
}

/** The session and its helpers. */
export function useSession(): UseSession {
  const { session, state } = useSessionContext();
  return useMemo(
    () => ({
      state,
      async signIn(input) {
        const result: unknown = await session.client.auth.login.mutate(input);
        if (isChallenge(result)) return { status: 'challenge', challenge: result };
        session.accept(result as AuthResult);
        return { status: 'signed-in', user: (result as AuthResult).user };
      },
      async signUp(input) {
        const result = await session.client.auth.register.mutate(input);
        session.accept(result);
        return result.user;
      },
      accept: (result) => session.accept(result),
      signOut: () => session.signOut(),
    }),
    [session, state],
  );
}

/**
 * The signed-in user, kept fresh as `users.me` in the query cache (update it with
 * `queryClient.setQueryData(trpc.users.me.queryKey(), user)` after a change), or null.
 */
export function useUser(): User | null {
  const { state } = useSessionContext();
  const trpc = useTRPC();
  const signedIn = state.status === 'signed-in';
  const me = useQuery({ ...trpc.users.me.queryOptions(), enabled: signedIn });
  if (!signedIn) return null;
  return me.data ?? state.user;
}

/** Calls `listener` on every sign-in, refresh and sign-out (other tabs' included). */
export function useSessionEvents(listener: (event: SessionEvent) => void): void {
  const { session } = useSessionContext();
  const latest = useRef(listener);
  useEffect(() => {
    latest.current = listener;
  });
  useEffect(() => session.subscribe((event) => latest.current(event)), [session]);
}

/** The server's settings (`meta.settings`). */
export type Settings = RouterOutputs['meta']['settings'];

/** The server's settings for front ends (`meta.settings`): fetched once, shared by every page. */
export function useSettings(): UseQueryResult<Settings, TRPCClientErrorLike<AppRouter>> {
  const trpc = useTRPC();
  return useQuery({ ...trpc.meta.settings.queryOptions(), staleTime: Infinity });
}
