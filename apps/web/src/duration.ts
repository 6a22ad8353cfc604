type Unit = 'day' | 'hour' | 'minute';

/** A lifetime in words, from a setting in seconds: "30 minutes", "2 heures", "1 day" (Intl units). */
export function duration(seconds: number, locale: string): string {
  const say = (value: number, unit: Unit) => {
    const text = new Intl.NumberFormat(locale, { style: 'unit', unit, unitDisplay: 'long' }).format(value);
    // French keeps a number with its unit (ICU gives "1 heure" a no-break space, "30 minutes" not).
    return locale.startsWith('fr') ? text.replace(/(\d) /, '$1\u00A0') : text;
  };
  const units: [number, Unit][] = [
    [86_400, 'day'],
    [3_600, 'hour'],
    [60, 'minute'],
  ];
  for (const [size, unit] of units)
    if (seconds >= size && seconds % size === 0) return say(seconds / size, unit);
  return say(Math.max(1, Math.round(seconds / 60)), 'minute');
}
