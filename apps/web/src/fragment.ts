import { useEffect, useState } from 'react';

/**
 * Reads the emailed link's fragment (`#token=…&invite=1`) once, then removes it from the
 * address bar and history, so the token is neither bookmarked nor left for the next person.
 * A fragment never reaches a server, and the page sends `Referrer-Policy: no-referrer`.
 */
export function useLinkFragment(): URLSearchParams {
  const [params] = useState(() => new URLSearchParams(window.location.hash.replace(/^#/, '')));
  useEffect(() => {
    if (window.location.hash)
      window.history.replaceState(
        window.history.state,
        '',
        window.location.pathname + window.location.search,
      );
  }, []);
  return params;
}
