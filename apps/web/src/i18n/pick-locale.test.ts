import { describe, expect, it } from 'vitest';
import { pickLocale } from './pick-locale.js';

const supported = ['en', 'fr'];

describe('pickLocale', () => {
  it('follows the signed-in user before anything else', () => {
    expect(pickLocale({ user: 'fr', chosen: 'en', browser: ['en-GB'], defaultLocale: 'en', supported })).toBe(
      'fr',
    );
  });

  it('then the switcher’s choice, then the browser’s first language we speak', () => {
    expect(pickLocale({ chosen: 'en', browser: ['fr-FR'], supported })).toBe('en');
    expect(pickLocale({ browser: ['de-DE', 'fr-CA', 'en'], supported })).toBe('fr');
    expect(pickLocale({ browser: ['FR'], supported })).toBe('fr');
  });

  it('then the server’s default, ignoring what it does not speak', () => {
    expect(pickLocale({ user: 'de', chosen: 'es', browser: ['de'], defaultLocale: 'fr', supported })).toBe(
      'fr',
    );
    expect(pickLocale({ browser: [], supported })).toBe('en');
    expect(pickLocale({ browser: ['fr'], supported: ['en'] })).toBe('en');
  });
});
