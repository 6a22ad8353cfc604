import { useEffect, useSyncExternalStore, type AnchorHTMLAttributes, type MouseEvent } from 'react';

/** State carried with a navigation: a one-off notice for the next page, say. */
export interface NavState {
  notice?: string;
  email?: string;
}

const listeners = new Set<() => void>();
// Bumped on every navigation, so a page re-renders even when only the history state changed.
let version = 0;
const notify = () => {
  version += 1;
  listeners.forEach((listener) => listener());
};
window.addEventListener('popstate', notify);

function subscribe(listener: () => void) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** The current path and query, re-rendering on every navigation. */
export function useLocation(): { path: string; query: URLSearchParams; state: NavState } {
  useSyncExternalStore(subscribe, () => version);
  const url = new URL(window.location.href);
  const state = (window.history.state ?? {}) as NavState;
  return { path: url.pathname.replace(/\/+$/, '') || '/', query: url.searchParams, state };
}

/** Client-side navigation; `replace` keeps the history entry count the same. */
export function navigate(to: string, options: { replace?: boolean; state?: NavState } = {}): void {
  const method = options.replace ? 'replaceState' : 'pushState';
  window.history[method](options.state ?? {}, '', to);
  notify();
  window.scrollTo(0, 0);
}

/** Redirects once mounted (a render must not navigate). */
export function Redirect({ to, state }: { to: string; state?: NavState }) {
  useEffect(() => navigate(to, { replace: true, ...(state ? { state } : {}) }), [to, state]);
  return null;
}

/** An <a> that navigates without reloading the page. */
export function Link({ href, onClick, ...rest }: AnchorHTMLAttributes<HTMLAnchorElement> & { href: string }) {
  const handle = (event: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(event);
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey)
      return;
    event.preventDefault();
    navigate(href);
  };
  // The content arrives in `rest.children`.
  // eslint-disable-next-line jsx-a11y/anchor-has-content
  return <a href={href} onClick={handle} {...rest} />;
}
