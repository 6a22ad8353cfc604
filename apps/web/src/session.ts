import { createSession, type RefreshTokenStore } from '@tessera/client';

/** localStorage key of the refresh token; the access token stays in memory. */
export const REFRESH_TOKEN_KEY = 'tessera.refreshToken';

/**
 * The refresh token survives a reload in localStorage. Anything that can run script on
 * this origin could read it, so the server sends a CSP that admits no inline or foreign
 * script (see apps/server/src/web.ts).
 */
function localStore(): RefreshTokenStore {
  return {
    get: () => {
      try {
        return localStorage.getItem(REFRESH_TOKEN_KEY);
      } catch {
        return null;
      }
    },
    set: (token) => {
      try {
        if (token) localStorage.setItem(REFRESH_TOKEN_KEY, token);
        else localStorage.removeItem(REFRESH_TOKEN_KEY);
      } catch {
        // Storage disabled: the session lasts as long as the page.
      }
    },
  };
}

/** The one session of this page; tabs share the refresh token and take turns refreshing it. */
export const session = createSession({
  url: window.location.origin,
  store: localStore(),
  // Web Locks exist only in secure contexts (https, localhost); elsewhere the server's reuse
  // grace period covers two tabs refreshing at once.
  lock: <T>(run: () => Promise<T>): Promise<T> =>
    navigator.locks
      ? navigator.locks.request('tessera.refresh', () => run()).then((result) => result)
      : run(),
});

/** The typed client for every call the pages make. */
export const api = session.client;
