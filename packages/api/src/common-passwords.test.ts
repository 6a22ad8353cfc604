import { describe, expect, it } from 'vitest';
import { commonPasswords, sortedWordList } from './common-passwords.js';

describe('sortedWordList', () => {
  const words = ['', 'abc', 'abcd', 'grenouille', 'password', 'zz', 'été'].sort();
  const list = sortedWordList(words.join('\n'));

  it('finds every word, the first and the last included', () => {
    for (const word of words) expect(list.has(word), word).toBe(true);
  });

  it('finds nothing else: not a prefix, not a longer word, not a neighbour', () => {
    for (const word of ['ab', 'abcde', 'grenouilles', 'passwor', 'a', 'zzz', 'ete', 'Password'])
      expect(list.has(word), word).toBe(false);
  });
});

describe('commonPasswords', () => {
  it('holds the breach list and the French words, lower-cased, loaded once', async () => {
    const list = await commonPasswords();
    for (const word of ['password', '123456', 'qwerty', 'grenouille', 'soleil', 'malheureusement'])
      expect(list.has(word), word).toBe(true);
    expect(list.has('correct horse battery staple')).toBe(false);
    expect(await commonPasswords()).toBe(list);
  });
});
