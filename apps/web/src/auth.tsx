import { errorCode, type User } from '@tessera/client';
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { REFRESH_TOKEN_KEY, api, session } from './session.js';

export type AuthState =
  | { status: 'loading' }
  | { status: 'unreachable' }
  | { status: 'signed-out'; notice?: string }
  | { status: 'signed-in'; user: User };

interface AuthContextValue {
  state: AuthState;
  /** The signed-in user, or null. */
  user: User | null;
  /** Replaces the user after the profile changed. */
  setUser: (user: User) => void;
  /** Loads the user again (after a network failure, say). */
  reload: () => void;
  /** Ends this device's session. */
  signOut: () => Promise<void>;
}

const AuthContext = createContext<AuthContextValue | null>(null);

export const SESSION_ENDED = 'Your session has ended. Please sign in again.';

/** Holds who is signed in, following the session's events (including from other tabs). */
export function AuthProvider({ children }: { children: ReactNode }) {
  const [state, setState] = useState<AuthState>(() =>
    session.signedIn ? { status: 'loading' } : { status: 'signed-out' },
  );

  const load = useCallback(async () => {
    if (!session.signedIn) return setState({ status: 'signed-out' });
    // A reload while signed in keeps the page on screen; only a first load shows "loading".
    setState((current) => (current.status === 'signed-in' ? current : { status: 'loading' }));
    try {
      const user = await api.users.me.query();
      setState({ status: 'signed-in', user });
    } catch (error) {
      // A failed refresh has already signed the session out (and said so); anything else
      // (network, 503) leaves the tokens for another try.
      if (errorCode(error) === 'UNAUTHORIZED') setState({ status: 'signed-out', notice: SESSION_ENDED });
      else setState({ status: 'unreachable' });
    }
  }, []);

  useEffect(() => {
    const unsubscribe = session.subscribe((event) => {
      if (event.type === 'signed-out') {
        setState({ status: 'signed-out', ...(event.reason === 'expired' ? { notice: SESSION_ENDED } : {}) });
      } else {
        setState({ status: 'signed-in', user: event.user });
      }
    });
    // Another tab signed out, or in: follow it.
    const onStorage = (event: StorageEvent) => {
      if (event.key !== REFRESH_TOKEN_KEY && event.key !== null) return;
      if (!event.newValue) session.forget('signed-out');
      else if (!event.oldValue) void load();
    };
    window.addEventListener('storage', onStorage);
    void load();
    return () => {
      unsubscribe();
      window.removeEventListener('storage', onStorage);
    };
  }, [load]);

  const value = useMemo<AuthContextValue>(
    () => ({
      state,
      user: state.status === 'signed-in' ? state.user : null,
      setUser: (user) => setState({ status: 'signed-in', user }),
      reload: () => void load(),
      signOut: () => session.signOut(),
    }),
    [state, load],
  );
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthContextValue {
  const value = useContext(AuthContext);
  if (!value) throw new Error('useAuth outside AuthProvider');
  return value;
}
