import { createBrowserSession } from '@tessera/client';

/**
 * The app's one browser session (refresh token in the server's HttpOnly cookie, access token
 * in memory). TesseraProvider runs on it; the few calls that are plain HTTP rather than tRPC
 * (the users export file) borrow its access token from here.
 */
export const session = createBrowserSession();
