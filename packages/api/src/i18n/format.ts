import type { Locale } from './locales.js';

/**
 * French typography, applied to every French text we render: a no-break space (U+00A0)
 * before a colon and inside « », a narrow no-break space (U+202F) before ; ! and ?, so a
 * line never breaks between a word and its punctuation. Catalogues are written with plain
 * spaces; this is the one place that fixes them.
 */
export function frenchTypography(text: string): string {
  return text
    .replace(/[ \u00A0\u202F]+:/g, '\u00A0:')
    .replace(/[ \u00A0\u202F]+([;!?])/g, '\u202F$1')
    .replace(/«[ \u00A0\u202F]*/g, '«\u00A0')
    .replace(/[ \u00A0\u202F]*»/g, '\u00A0»');
}

/** Finishes a text rendered in `locale` (French typography). */
export function finish(locale: Locale, text: string): string {
  return locale === 'fr' ? frenchTypography(text) : text;
}

type Unit = 'second' | 'minute' | 'hour' | 'day';

/** "30 minutes", "1 heure", "2 days": a count with its unit, as the language writes it (Intl). */
export function quantity(locale: Locale, value: number, unit: Unit): string {
  const text = new Intl.NumberFormat(locale, { style: 'unit', unit, unitDisplay: 'long' }).format(value);
  // French keeps a number with its unit (ICU gives "1 heure" a no-break space, "30 minutes" not).
  return locale === 'fr' ? text.replace(/(\d) /, '$1\u00A0') : text;
}

/** A duration in its largest whole unit: 86400 s → "1 day", 1800 s → "30 minutes". */
export function duration(locale: Locale, seconds: number): string {
  if (seconds >= 86_400 && seconds % 86_400 === 0) return quantity(locale, seconds / 86_400, 'day');
  if (seconds >= 3_600 && seconds % 3_600 === 0) return quantity(locale, seconds / 3_600, 'hour');
  return quantity(locale, Math.max(1, Math.ceil(seconds / 60)), 'minute');
}

/** A number as the language writes it ("49 000" in French, "49,000" in English). */
export function number(locale: Locale, value: number): string {
  return new Intl.NumberFormat(locale).format(value);
}
