import { describe, expect, it } from 'vitest';
import { duration } from './duration.js';

describe('duration', () => {
  it('words a lifetime in its largest whole unit, in the page’s language (Intl)', () => {
    expect(duration(1800, 'en')).toBe('30 minutes');
    expect(duration(3600, 'en')).toBe('1 hour');
    expect(duration(172_800, 'en')).toBe('2 days');
    expect(duration(90, 'en')).toBe('2 minutes');
    expect(duration(1800, 'fr')).toBe('30\u00A0minutes');
    expect(duration(3600, 'fr')).toBe('1\u00A0heure');
    expect(duration(86_400, 'fr')).toBe('1\u00A0jour');
  });
});
