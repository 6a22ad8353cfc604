/**
 * The app's pages. The build writes this list to dist/routes.json (vite.config.ts) and the
 * server answers these paths with the page, so a new page is added here and in app.tsx only.
 * Public pages open without signing in; the emailed links land on the last two.
 */
export const publicPaths = [
  '/sign-in',
  '/sign-up',
  '/forgot-password',
  '/reset-password',
  '/verify-email',
] as const;

/** Pages that need a signed-in user. */
export const privatePaths = [
  '/profile',
  '/admin/users',
  '/admin/audit',
  '/admin/api-keys',
  '/admin/webhooks',
  '/set-up-second-factor',
] as const;

export type PublicPath = (typeof publicPaths)[number];
export type PrivatePath = (typeof privatePaths)[number];

/** Every path the router answers with a page (`/` redirects to the profile). */
export const pagePaths: readonly string[] = ['/', ...publicPaths, ...privatePaths];

/** A same-origin path to return to after signing in, or undefined if `next` is not one. */
export function safeNext(next: string | null): string | undefined {
  if (!next || !next.startsWith('/')) return undefined;
  // "//evil.example" and "/\evil.example" leave the origin; so does anything the URL parser
  // resolves elsewhere (tabs and newlines are dropped from URLs).
  const url = new URL(next, 'http://tessera.invalid');
  if (url.origin !== 'http://tessera.invalid' || /[\\\t\n\r]/.test(next)) return undefined;
  return url.pathname + url.search;
}
