/** The languages Tessera speaks: pages, mail, API error messages, password-policy reasons. */
export const locales = ['en', 'fr'] as const;
export type Locale = (typeof locales)[number];

export function isLocale(value: unknown): value is Locale {
  return typeof value === 'string' && (locales as readonly string[]).includes(value);
}

/**
 * The best of `supported` for an `Accept-Language` header (RFC 9110 §12.5.4): ranges by
 * weight (`q`), then in the order given; a range matches on its primary subtag ("fr-CA" →
 * fr); `*` takes the fallback. Nothing acceptable, or no header, gives `fallback`.
 */
export function negotiateLocale(
  header: string | undefined,
  supported: readonly Locale[],
  fallback: Locale,
): Locale {
  if (!header) return fallback;
  const ranges = header
    .slice(0, 512)
    .split(',')
    .map((part, index) => {
      const [range = '', ...params] = part.trim().split(';');
      const q = params.map((p) => /^\s*q\s*=\s*([0-9.]+)\s*$/i.exec(p)?.[1]).find(Boolean);
      const weight = q === undefined ? 1 : Number(q);
      return { tag: range.trim().toLowerCase(), weight: Number.isFinite(weight) ? weight : 0, index };
    })
    .filter((r) => r.tag && r.weight > 0)
    .sort((a, b) => b.weight - a.weight || a.index - b.index);
  for (const { tag } of ranges) {
    if (tag === '*') return fallback;
    const primary = tag.split('-')[0];
    const match = supported.find((locale) => locale === primary);
    if (match) return match;
  }
  return fallback;
}
