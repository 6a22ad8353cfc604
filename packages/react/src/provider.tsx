import { createBrowserSession, isTesseraError, type Session, type User } from '@tessera/client';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { createTRPCOptionsProxy } from '@trpc/tanstack-react-query';
import { useEffect, useState, type ReactNode } from 'react';
import { SessionContext, type SessionState } from './session-context.js';
import { TRPCProvider } from './trpc.js';

export interface TesseraProviderProps {
  /** The session the app works through; a browser session on this origin if left out (`createBrowserSession`). */
  session?: Session;
  /** Your QueryClient; one with Tessera's defaults if left out (`createQueryClient`). */
  queryClient?: QueryClient;
  children: ReactNode;
}

/**
 * A QueryClient that retries only what may succeed on a second try: a network fault. Error
 * answers are answers (503 and 429 are retried by the client after their Retry-After).
 */
export function createQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        staleTime: 30_000,
        retry: (failures, error) =>
          !isTesseraError(error) || error.data === undefined ? failures < 2 : false,
      },
    },
  });
}

/**
 * Gives its children the typed query options (`useTRPC`), the session (`useSession`,
 * `useUser`) and the server's settings (`useSettings`). Restores the session once mounted
 * (with the cookie: a reload stays signed in) and follows its events, other tabs' included;
 * a sign-out empties the query cache, so nothing of one user is shown to the next.
 */
export function TesseraProvider({
  session: given,
  queryClient: givenQueryClient,
  children,
}: TesseraProviderProps) {
  const [session] = useState(() => given ?? createBrowserSession());
  const [queryClient] = useState(() => givenQueryClient ?? createQueryClient());
  const [state, setState] = useState<SessionState>({ status: 'loading' });

  useEffect(() => {
    const meKey = createTRPCOptionsProxy({ client: session.client, queryClient }).users.me.queryKey();
    const signedIn = (user: User) => {
      queryClient.setQueryData(meKey, user);
      setState({ status: 'signed-in', user });
    };
    const unsubscribe = session.subscribe((event) => {
      if (event.type === 'signed-out') {
        queryClient.clear();
        setState({ status: 'signed-out', reason: event.reason });
      } else signedIn(event.user);
    });
    const restore = () => {
      session.refresh().then(
        (ok) => {
          if (ok && session.user) signedIn(session.user);
          else if (!ok) setState({ status: 'signed-out' });
        },
        // A network fault or 503: the session may be fine, the server is not reachable.
        () => setState({ status: 'unreachable', retry: restore }),
      );
    };
    if (session.user) signedIn(session.user);
    else restore();
    return unsubscribe;
  }, [session, queryClient]);

  return (
    <QueryClientProvider client={queryClient}>
      <TRPCProvider trpcClient={session.client} queryClient={queryClient}>
        <SessionContext.Provider value={{ session, state }}>{children}</SessionContext.Provider>
      </TRPCProvider>
    </QueryClientProvider>
  );
}
