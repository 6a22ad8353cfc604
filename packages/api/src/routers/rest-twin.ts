import type { Meta } from '../trpc.js';

type OpenApi = NonNullable<Meta['openapi']>;

/**
 * The REST twins of one router's procedures, for `.meta()`: `anyone` for public procedures,
 * `signedIn` for those that need a bearer token (a lock in /docs). Every twin of the router
 * carries its tags; a description adds what the summary cannot say.
 */
export function restTwins(tags: string[]) {
  const twin =
    (protect: boolean) =>
    (method: OpenApi['method'], path: OpenApi['path'], summary: string, description?: string): Meta => ({
      openapi: {
        method,
        path,
        tags,
        summary,
        ...(protect ? { protect } : {}),
        ...(description ? { description } : {}),
      },
    });
  return { anyone: twin(false), signedIn: twin(true) };
}
