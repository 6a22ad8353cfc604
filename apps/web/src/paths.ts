/** A same-origin path to return to after signing in, or undefined if `next` is not one. */
export function safeNext(next: string | null): string | undefined {
  if (!next || !next.startsWith('/')) return undefined;
  // "//evil.example" and "/\evil.example" leave the origin; so does anything the URL parser
  // resolves elsewhere (tabs and newlines are dropped from URLs).
  const url = new URL(next, 'http://tessera.invalid');
  if (url.origin !== 'http://tessera.invalid' || /[\\\t\n\r]/.test(next)) return undefined;
  return url.pathname + url.search;
}
