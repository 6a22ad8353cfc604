import type { AppRouter } from '@tessera/client';
import type { QueryClient } from '@tanstack/react-query';
import type { TRPCClient } from '@trpc/client';
import type { FC, ReactNode } from 'react';
import { createTRPCContext, type TRPCOptionsProxy } from '@trpc/tanstack-react-query';

const context = createTRPCContext<AppRouter>();

/** Internal: TesseraProvider renders it with the session's client. */
export const TRPCProvider: FC<{
  children: ReactNode;
  queryClient: QueryClient;
  trpcClient: TRPCClient<AppRouter>;
}> = context.TRPCProvider;

/**
 * TanStack Query options for every procedure: `useQuery(trpc.users.list.queryOptions(input))`,
 * `useMutation(trpc.users.update.mutationOptions())`, and the keys to invalidate
 * (`trpc.users.pathFilter()`).
 */
export const useTRPC: () => TRPCOptionsProxy<AppRouter> = context.useTRPC;

/** The session's typed client, for a call outside a query or mutation. */
export const useTRPCClient: () => TRPCClient<AppRouter> = context.useTRPCClient;
