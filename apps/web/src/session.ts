import { createBrowserSession } from '@tessera/client';
import { currentLocale } from './i18n/index.js';

/**
 * The app's one browser session (refresh token in the server's HttpOnly cookie, access token
 * in memory). TesseraProvider runs on it; the few calls that are plain HTTP rather than tRPC
 * (the users export file) borrow its access token from here. Every call asks for the page's
 * language (Accept-Language), so the server's messages match the page.
 */
export const session = createBrowserSession({ locale: currentLocale });
