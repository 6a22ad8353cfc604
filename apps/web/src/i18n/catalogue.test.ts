import { auditActions, roles, webhookEvents } from '@tessera/client';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { genericCodes } from '../errors.js';
import { userSorts } from '../pages/user-sorts.js';
import { exportFormats } from '../user-export.js';
import { catalogues, webLocales } from './index.js';

// Every language has every key, and every key the code uses is in the catalogues: a string
// added in one language only, or a typo in a key, fails here rather than showing a raw key.

type Tree = { [key: string]: string | Tree };

/** `{ a: { b: 'x' } }` → `{ 'a.b': 'x' }`. */
function flatten(tree: Tree, prefix = ''): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [key, value] of Object.entries(tree)) {
    if (typeof value === 'string') flat[prefix + key] = value;
    else Object.assign(flat, flatten(value, `${prefix}${key}.`));
  }
  return flat;
}

const PLURAL = /_(zero|one|two|few|many|other)$/;
const flat = Object.fromEntries(webLocales.map((locale) => [locale, flatten(catalogues[locale] as Tree)]));
/** A language's keys, plural forms folded into their base key. */
const baseKeys = (locale: string) =>
  new Set(Object.keys(flat[locale]!).map((key) => key.replace(PLURAL, '')));
const english = baseKeys('en');

/** The source files (not tests), to find the keys they use. */
const SRC = fileURLToPath(new URL('..', import.meta.url));
function sources(dir = SRC): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return /\.tsx?$/.test(entry.name) && !entry.name.includes('.test.') ? [path] : [];
  });
}
const code = sources().map((path) => readFileSync(path, 'utf8'));

/**
 * Literal keys: the first argument of `t(…)` / `i18n.t(…)` (a ternary's two keys included)
 * and `i18nKey` of `<Trans>`.
 */
function literalKeys(): Set<string> {
  const keys = new Set<string>();
  const firstArguments = /(?<![\w$])(?:i18n\.)?t\(\s*([^,)]*)/g;
  const transKeys = /i18nKey=\{?([^}\n]*)/g;
  for (const text of code)
    for (const pattern of [firstArguments, transKeys])
      for (const [, argument] of text.matchAll(pattern))
        for (const [, key] of argument!.matchAll(/['"]([\w.]+)['"]/g)) keys.add(key!);
  return keys;
}

/** Prefixes of keys made at run time (`t(\`roles.${role}\`)`), with every value they take. */
const DYNAMIC: Record<string, readonly string[]> = {
  'roles.': roles,
  'roleNoun.': roles,
  'users.makeRole.': roles,
  'audit.actions.': auditActions,
  'webhooks.events.': webhookEvents,
  'webhooks.status.': ['delivered', 'pending', 'failed'],
  'users.sort.': userSorts,
  'export.': exportFormats,
  'errors.': genericCodes,
};

describe('the web app’s catalogues', () => {
  it.each(webLocales.filter((locale) => locale !== 'en'))('%s has exactly the keys English has', (locale) => {
    const other = baseKeys(locale);
    expect(
      [...english].filter((key) => !other.has(key)),
      `missing from ${locale}`,
    ).toEqual([]);
    expect(
      [...other].filter((key) => !english.has(key)),
      `only in ${locale}`,
    ).toEqual([]);
  });

  it.each(webLocales)('%s has every plural form its language needs (Intl.PluralRules)', (locale) => {
    const categories = new Intl.PluralRules(locale).resolvedOptions().pluralCategories;
    const plurals = new Set(
      Object.keys(flat[locale]!)
        .filter((key) => PLURAL.test(key))
        .map((key) => key.replace(PLURAL, '')),
    );
    for (const base of plurals)
      for (const category of categories)
        expect(flat[locale]![`${base}_${category}`], `${base}_${category} in ${locale}`).toBeTypeOf('string');
  });

  it('has every key the code uses', () => {
    const used = [...literalKeys()].filter((key) => key.includes('.'));
    expect(used.length).toBeGreaterThan(300);
    expect(used.filter((key) => !english.has(key))).toEqual([]);
  });

  it('has words for every value of the keys made at run time', () => {
    const templates = new Set<string>();
    for (const text of code)
      for (const [, prefix] of text.matchAll(/t\(\s*`([\w.]+\.)\$\{/g)) templates.add(prefix!);
    expect([...templates].filter((prefix) => !(prefix in DYNAMIC))).toEqual([]);
    for (const [prefix, values] of Object.entries(DYNAMIC))
      for (const locale of webLocales)
        for (const value of values)
          expect(baseKeys(locale).has(prefix + value), `${prefix}${value} in ${locale}`).toBe(true);
  });

  it('uses every key it has (nothing left over from replaced text)', () => {
    const used = literalKeys();
    const unused = [...english].filter(
      (key) => !used.has(key) && !Object.keys(DYNAMIC).some((prefix) => key.startsWith(prefix)),
    );
    expect(unused).toEqual([]);
  });

  it('keeps the same placeholders and tags in every language', () => {
    const marks = (text: string) =>
      [...text.matchAll(/\{\{\s*(\w+)|<\/?(\w+)/g)].map((m) => m[1] ?? m[2]).sort();
    for (const locale of webLocales)
      for (const [key, text] of Object.entries(flat[locale]!)) {
        const english = flat.en![key] ?? flat.en![key.replace(PLURAL, '_other')]!;
        expect(marks(text), `${key} in ${locale}`).toEqual(marks(english));
      }
  });

  it('writes French with its typography: no-break spaces before : ; ! ? and inside « »', () => {
    const loose = Object.entries(flat.fr!).filter(([, text]) => / [:;!?»]|« /.test(text));
    expect(loose).toEqual([]);
  });
});
