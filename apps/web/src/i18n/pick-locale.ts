/** Where a language picked in the switcher while signed out is remembered (not a secret). */
const CHOICE_KEY = 'tessera.locale';

export interface LocaleSources {
  /** The signed-in user's `locale`: it wins, so every device (and every email) agrees. */
  user?: string | null | undefined;
  /** What the switcher chose on this browser while signed out. */
  chosen?: string | null | undefined;
  /** `navigator.languages`, most preferred first ("fr-FR", "en-GB", …). */
  browser?: readonly string[] | undefined;
  /** meta.settings `defaultLocale`. */
  defaultLocale?: string | undefined;
  /** The languages both the app's catalogues and the server speak. */
  supported: readonly string[];
}

/**
 * The language to show: the signed-in user's, else the one chosen here, else the first of the
 * browser's languages we speak (on its primary subtag: "fr-CA" → fr), else the server's
 * default, else the first supported.
 */
export function pickLocale({ user, chosen, browser = [], defaultLocale, supported }: LocaleSources): string {
  const speaks = (tag: string | null | undefined) => (tag && supported.includes(tag) ? tag : undefined);
  const fromBrowser = browser.map((tag) => speaks(tag.toLowerCase().split('-')[0])).find(Boolean);
  return speaks(user) ?? speaks(chosen) ?? fromBrowser ?? speaks(defaultLocale) ?? supported[0] ?? 'en';
}

/** The language chosen on this browser while signed out, if any. */
export function storedChoice(): string | null {
  try {
    return localStorage.getItem(CHOICE_KEY);
  } catch {
    // Storage refused (privacy settings): the browser's languages still apply.
    return null;
  }
}

/** Remembers the switcher's choice on this browser, for the signed-out pages and the next visit. */
export function storeChoice(locale: string): void {
  try {
    localStorage.setItem(CHOICE_KEY, locale);
  } catch {
    // As above: the choice then lasts until the page is reloaded.
  }
}
