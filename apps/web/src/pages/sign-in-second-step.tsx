import { errorReason, type MfaChallenge, type RouterInputs } from '@tessera/client';
import { useTranslation } from 'react-i18next';
import { useMutation } from '@tanstack/react-query';
import { useSession, useTRPC } from '@tessera/react';
import { useState } from 'react';
import { Field, FormAlert, FormProblem, text, useForm } from '../forms.js';
import { getPasskeyAssertion, passkeyErrorMessage, passkeysSupported } from '../security/webauthn.js';
import { AuthCard, Submit } from '../ui.js';

type Answer = Omit<RouterInputs['auth']['verifyMfa'], 'mfaToken'>;

/**
 * The second step of a sign-in: a code from the authenticator app or a recovery code, or a
 * passkey. The step is single-use and short-lived; once the server calls it spent, the
 * person starts again from the password (`onRestart`).
 */
export function SecondStep({
  email,
  challenge,
  onSignedIn,
  onRestart,
}: {
  email: string;
  challenge: MfaChallenge;
  onSignedIn: () => void;
  onRestart: (notice?: string) => void;
}) {
  const { t } = useTranslation();
  const trpc = useTRPC();
  const { accept } = useSession();
  const verify = useMutation(trpc.auth.verifyMfa.mutationOptions());
  const passkeyOptions = useMutation(trpc.auth.passkeyOptions.mutationOptions());
  const form = useForm(['code']);
  const [passkeyPending, setPasskeyPending] = useState(false);
  const [passkeyError, setPasskeyError] = useState<string>();
  const { mfaToken, methods } = challenge;
  const takesCodes = methods.includes('totp') || methods.includes('recovery_code');
  const takesPasskey = methods.includes('passkey') && passkeysSupported();

  /** Sends one answer. Resolves false when the step is spent (the person was sent back). */
  const send = async (input: Answer): Promise<boolean> => {
    try {
      accept(await verify.mutateAsync({ mfaToken, ...input }));
    } catch (error) {
      if (errorReason(error) !== 'invalid_mfa_token') throw error;
      // The step can no longer be answered: the password is needed again.
      onRestart(t('secondStep.signInAgain'));
      return false;
    }
    onSignedIn();
    return true;
  };

  const onSubmit = form.submit(async (data) => {
    try {
      await send({ code: text(data, 'code') });
    } catch (error) {
      if (errorReason(error) === 'invalid_mfa_code')
        throw new FormProblem({ fields: { code: t('secondStep.wrongCode') } });
      throw error;
    }
  });

  const answerWithPasskey = async () => {
    setPasskeyPending(true);
    setPasskeyError(undefined);
    try {
      const passkey = await getPasskeyAssertion(await passkeyOptions.mutateAsync({ email }));
      await send({ passkey });
    } catch (error) {
      setPasskeyError(
        errorReason(error) === 'invalid_passkey'
          ? t('secondStep.passkeyRefused')
          : passkeyErrorMessage(error),
      );
      setPasskeyPending(false);
    }
  };

  return (
    <AuthCard title={t('secondStep.title')} intro={t('secondStep.intro', { email })}>
      {takesCodes && (
        <form ref={form.ref} onSubmit={onSubmit} noValidate className="stack">
          <FormAlert message={form.errors.form} />
          <Field
            label={t('secondStep.code')}
            name="code"
            autoComplete="one-time-code"
            required
            autoFocus
            spellCheck={false}
            autoCapitalize="off"
            error={form.errors.fields.code}
            hint={t('secondStep.codeHint')}
          />
          <Submit pending={form.pending} pendingLabel={t('common.checking')}>
            {t('secondStep.verify')}
          </Submit>
        </form>
      )}
      <div className="stack">
        {passkeyError && (
          <div className="alert alert-error" role="alert">
            <p>{passkeyError}</p>
          </div>
        )}
        {takesPasskey && (
          <button
            type="button"
            className={takesCodes ? 'button button-secondary' : 'button button-primary'}
            disabled={passkeyPending || form.pending}
            aria-busy={passkeyPending || undefined}
            onClick={() => void answerWithPasskey()}
          >
            {passkeyPending ? t('common.waitingPasskey') : t('secondStep.usePasskey')}
          </button>
        )}
        <button type="button" className="button button-secondary" onClick={() => onRestart()}>
          {t('secondStep.startOver')}
        </button>
      </div>
    </AuthCard>
  );
}
