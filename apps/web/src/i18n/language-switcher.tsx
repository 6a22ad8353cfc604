import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useTRPC, useUser } from '@tessera/react';
import { useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { errorMessage } from '../errors.js';
import { useOfferedLocales } from './follow-locale.js';
import { isWebLocale, type WebLocale } from './index.js';
import { storeChoice } from './pick-locale.js';

/** Each language by its own name, as people look for it: never translated. */
const LANGUAGE_NAMES: Record<WebLocale, string> = { en: 'English', fr: 'Français' };

/**
 * Picks the page's language. Signed in, the choice is saved on the account
 * (`users.updateMe({ locale })`), so emails follow it too; signed out, this browser keeps it.
 */
export function LanguageSwitcher() {
  const { t, i18n } = useTranslation();
  const id = useId();
  const user = useUser();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const offered = useOfferedLocales();
  const save = useMutation(
    trpc.users.updateMe.mutationOptions({
      onSuccess: (updated) => queryClient.setQueryData(trpc.users.me.queryKey(), updated),
    }),
  );
  const [error, setError] = useState<string>();
  if (offered.length < 2) return null;

  /** The signed-in user's language as the page knows it, before the server has it. */
  const setUserLocale = (locale: NonNullable<typeof user>['locale']) =>
    queryClient.setQueryData(trpc.users.me.queryKey(), (me) => me && { ...me, locale });

  const choose = async (next: string) => {
    if (!isWebLocale(next)) return;
    setError(undefined);
    storeChoice(next);
    const previous = user?.locale;
    // Signed in, the page follows the account's language (useFollowLocale): it changes here at
    // once, or the page would switch back to the old one until the save answers.
    if (user && previous !== next) setUserLocale(next);
    await i18n.changeLanguage(next);
    if (!user || previous === next) return;
    try {
      await save.mutateAsync({ locale: next });
    } catch (failure) {
      if (previous) setUserLocale(previous);
      setError(errorMessage(failure));
    }
  };

  return (
    <div className="language-switcher">
      <label htmlFor={id}>{t('language.label')}</label>
      <select
        id={id}
        value={i18n.language}
        disabled={save.isPending}
        onChange={(event) => void choose(event.currentTarget.value)}
      >
        {offered.filter(isWebLocale).map((locale) => (
          <option key={locale} value={locale} lang={locale}>
            {LANGUAGE_NAMES[locale]}
          </option>
        ))}
      </select>
      {error && (
        <p className="field-error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}
