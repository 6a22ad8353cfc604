export {
  isChallenge,
  useSession,
  useSessionEvents,
  useSettings,
  useUser,
  type Settings,
  type SignInResult,
  type UseSession,
} from './hooks.js';
export { createQueryClient, TesseraProvider, type TesseraProviderProps } from './provider.js';
export type { SessionState } from './session-context.js';
export { useTRPC, useTRPCClient } from './trpc.js';
