import { finish } from './format.js';
import type { Locale } from './locales.js';

/**
 * Why `users.import` refuses a row beyond what its schema says (zod's issues go through
 * `issueMessage`, the role policy's through `policyRefusal`), in every language.
 */
const importRefusals = {
  batch_refused: {
    en: () => 'An account with this email already exists; nothing of this batch was written',
    fr: () => 'Un compte existe déjà avec cette adresse e-mail ; rien de ce lot n’a été écrit',
  },
  same_email: {
    en: ({ first }: { first: number }) => `The same email as row ${first}`,
    fr: ({ first }: { first: number }) => `La même adresse e-mail qu’à la ligne ${first}`,
  },
  last_admin: {
    en: () => 'This is the last enabled admin; it stays an enabled admin',
    fr: () => 'C’est le dernier administrateur actif ; il reste administrateur actif',
  },
} as const satisfies Record<string, Record<Locale, (params: never) => string>>;

export type ImportRefusal = keyof typeof importRefusals;
export const importRefusalKinds = Object.keys(importRefusals) as ImportRefusal[];

type Params<K extends ImportRefusal> = Parameters<(typeof importRefusals)[K]['en']>;

/** A row's refusal in `locale`, with that language's typography. */
export function importRefusal<K extends ImportRefusal>(
  kind: K,
  locale: Locale,
  ...params: Params<K>
): string {
  const word = importRefusals[kind][locale] as (...args: Params<K>) => string;
  return finish(locale, word(...params));
}
