import { COOKIE, createSession, type Session, type SessionOptions, type SessionSync } from './session.js';

/**
 * The browser's globals this module uses, typed here so the package compiles for Node too
 * (without the DOM library).
 */
const browser = globalThis as unknown as {
  location?: { origin: string };
  navigator?: { locks?: { request<T>(name: string, run: () => Promise<T>): Promise<T> } };
  BroadcastChannel?: new (name: string) => {
    postMessage(message: unknown): void;
    addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
    removeEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
  };
};

/**
 * A session for a browser app served by Tessera itself: the refresh token in the server's
 * HttpOnly cookie (script never sees it; a reload keeps the session), tabs taking turns to
 * refresh (Web Locks) and following each other's sign-in and sign-out (BroadcastChannel),
 * calls made together batched, and 503/429 retried after their Retry-After.
 */
export function createBrowserSession(options: Partial<SessionOptions> = {}): Session {
  return createSession({
    url: browser.location?.origin ?? '',
    store: COOKIE,
    lock: webLock('tessera.refresh'),
    sync: broadcastSync('tessera.session'),
    batch: true,
    retry: true,
    ...options,
  });
}

/**
 * Runs one refresh at a time across the tabs of this origin. Web Locks exist only in secure
 * contexts (https, localhost); elsewhere the server's reuse grace period covers two tabs
 * refreshing at once.
 */
export function webLock(name: string): <T>(run: () => Promise<T>) => Promise<T> {
  return <T>(run: () => Promise<T>): Promise<T> => {
    const locks = browser.navigator?.locks;
    return locks ? locks.request(name, run) : run();
  };
}

/** Sign-in and sign-out news between the tabs of this origin, over a BroadcastChannel. */
export function broadcastSync(name: string): SessionSync | undefined {
  if (!browser.BroadcastChannel) return undefined;
  const channel = new browser.BroadcastChannel(name);
  return {
    post: (event) => channel.postMessage(event),
    subscribe(listener) {
      const onMessage = ({ data }: { data: unknown }) => {
        if (data === 'signed-in' || data === 'signed-out') listener(data);
      };
      channel.addEventListener('message', onMessage);
      return () => channel.removeEventListener('message', onMessage);
    },
  };
}
