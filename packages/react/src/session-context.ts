import type { Session, SignOutReason, User } from '@tessera/client';
import { createContext } from 'react';

/** Where the session stands, as a page shows it. */
export type SessionState =
  | { status: 'loading' }
  | { status: 'unreachable'; retry: () => void }
  | { status: 'signed-out'; reason?: SignOutReason }
  | { status: 'signed-in'; user: User };

export const SessionContext = createContext<{ session: Session; state: SessionState } | null>(null);
