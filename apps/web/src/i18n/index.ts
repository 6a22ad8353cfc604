import i18n from 'i18next';
import { initReactI18next } from 'react-i18next';
import en from './en.json';
import fr from './fr.json';
import { pickLocale, storedChoice } from './pick-locale.js';

/**
 * The web app's catalogues, bundled as JSON (i18next reads them at run time: no compile step).
 * Each language lists every key; catalogue.test.ts fails on one missing from either, or used
 * in the code and missing from both.
 */
export const catalogues = { en, fr } as const;
export type WebLocale = keyof typeof catalogues;
export const webLocales = Object.keys(catalogues) as WebLocale[];

/** True for a language the app has a catalogue for. */
export function isWebLocale(value: unknown): value is WebLocale {
  return typeof value === 'string' && Object.hasOwn(catalogues, value);
}

// The language shown before the settings and the user load: a choice made here before, else
// the browser's. useFollowLocale (follow-locale.ts) settles it once they have.
void i18n.use(initReactI18next).init({
  resources: { en: { translation: en }, fr: { translation: fr } },
  lng: pickLocale({
    chosen: storedChoice(),
    browser: typeof navigator === 'undefined' ? [] : navigator.languages,
    supported: webLocales,
  }),
  fallbackLng: 'en',
  supportedLngs: webLocales,
  // React escapes what it renders; escaping here too would show "&amp;" in names.
  interpolation: { escapeValue: false },
  returnNull: false,
});

/** `<html lang>` says the language the page is in (screen readers pick their voice from it). */
const markPage = (lng: string) => {
  // Unit tests run without a document.
  if (typeof document !== 'undefined') document.documentElement.lang = lng;
};
markPage(i18n.language);
i18n.on('languageChanged', markPage);

/** The language the app shows now (and sends as Accept-Language). */
export function currentLocale(): WebLocale {
  return isWebLocale(i18n.language) ? i18n.language : 'en';
}

/**
 * The tag to format dates and numbers with (Intl): the browser's own variant of the page's
 * language when it has one ("en-GB" dates for a British reader of the English pages), else
 * the language itself.
 */
export function formatLocale(): string {
  const language = currentLocale();
  const browser = typeof navigator === 'undefined' ? [] : navigator.languages;
  return browser.find((tag) => tag.toLowerCase().split('-')[0] === language) ?? language;
}

export { i18n };
