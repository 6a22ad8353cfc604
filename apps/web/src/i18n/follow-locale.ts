import { useSettings, useUser } from '@tessera/react';
import { useEffect } from 'react';
import { i18n, webLocales } from './index.js';
import { pickLocale, storedChoice } from './pick-locale.js';

/** The app's languages the server speaks too (all of ours until the settings load). */
export function useOfferedLocales(): string[] {
  const serverLocales = useSettings().data?.locales;
  return serverLocales ? webLocales.filter((locale) => serverLocales.includes(locale)) : webLocales;
}

/**
 * Keeps the page in the right language as the session and settings load and change: the
 * signed-in user's locale (so it follows them from device to device), else this browser's
 * choice or languages, else the server's default.
 */
export function useFollowLocale(): void {
  const userLocale = useUser()?.locale;
  const defaultLocale = useSettings().data?.defaultLocale;
  const supported = useOfferedLocales();
  const supportedKey = supported.join(',');
  useEffect(() => {
    const next = pickLocale({
      user: userLocale,
      chosen: storedChoice(),
      browser: navigator.languages,
      defaultLocale,
      supported: supportedKey.split(','),
    });
    if (next !== i18n.language) void i18n.changeLanguage(next);
  }, [userLocale, defaultLocale, supportedKey]);
}
