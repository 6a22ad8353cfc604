import type { RouterOutputs } from '@tessera/client';
import { useTranslation } from 'react-i18next';
import { useMutation } from '@tanstack/react-query';
import { useTRPC } from '@tessera/react';
import { useState } from 'react';
import { Field, FormAlert, text, useForm } from '../forms.js';
import { FormActions } from '../ui.js';
import { PasswordConfirm } from './password-confirm.js';
import { QrCode } from './qr-code.js';
import { useSecondFactorsChanged } from './refresh.js';

type Secret = RouterOutputs['mfa']['totpSetup'];

/**
 * Sets up an authenticator app: the password, then the QR code (and the key as text for
 * typing in by hand) and a code from the app, which turns it on. `onConfirmed` receives the
 * recovery codes the server hands out once.
 */
export function TotpSetup({ onConfirmed }: { onConfirmed: (recoveryCodes: string[]) => void }) {
  const { t } = useTranslation();
  const trpc = useTRPC();
  const start = useMutation(trpc.mfa.totpSetup.mutationOptions());
  const [step, setStep] = useState<'idle' | 'password' | Secret>('idle');

  if (step === 'idle')
    return (
      <div className="actions">
        <button type="button" className="button button-primary" onClick={() => setStep('password')}>
          {t('totp.setUp')}
        </button>
      </div>
    );
  if (step === 'password')
    return (
      <PasswordConfirm
        submitLabel={t('common.continue')}
        pendingLabel={t('common.checking')}
        onCancel={() => setStep('idle')}
        onConfirm={async (currentPassword) => setStep(await start.mutateAsync({ currentPassword }))}
      >
        <p>{t('totp.confirmIdentity')}</p>
      </PasswordConfirm>
    );
  return <ScanAndConfirm secret={step} onCancel={() => setStep('idle')} onConfirmed={onConfirmed} />;
}

function ScanAndConfirm({
  secret,
  onCancel,
  onConfirmed,
}: {
  secret: Secret;
  onCancel: () => void;
  onConfirmed: (recoveryCodes: string[]) => void;
}) {
  const { t } = useTranslation();
  const trpc = useTRPC();
  const changed = useSecondFactorsChanged();
  const confirm = useMutation(trpc.mfa.totpConfirm.mutationOptions());
  const form = useForm(['code']);
  const onSubmit = form.submit(async (data) => {
    const { recoveryCodes } = await confirm.mutateAsync({ code: text(data, 'code') });
    onConfirmed(recoveryCodes);
    await changed();
  });
  return (
    <form ref={form.ref} onSubmit={onSubmit} noValidate className="stack">
      <FormAlert message={form.errors.form} />
      <ol className="steps">
        <li>{t('totp.scan')}</li>
        <li>
          {t('totp.byHand')} <code className="setup-key">{secret.secret}</code>
        </li>
        <li>{t('totp.typeCode')}</li>
      </ol>
      <QrCode value={secret.otpauthUrl} label={t('totp.qrLabel')} />
      <Field
        label={t('totp.codeLabel')}
        name="code"
        autoComplete="one-time-code"
        inputMode="numeric"
        required
        autoFocus
        error={form.errors.fields.code}
      />
      <FormActions pending={form.pending} pendingLabel={t('common.checking')} onCancel={onCancel}>
        {t('totp.turnOn')}
      </FormActions>
    </form>
  );
}

/** The authenticator app when it is on: turn it off after confirming. */
export function TotpOff({ onDone }: { onDone: (notice: string) => void }) {
  const { t } = useTranslation();
  const trpc = useTRPC();
  const changed = useSecondFactorsChanged();
  const disable = useMutation(trpc.mfa.totpDisable.mutationOptions());
  const [open, setOpen] = useState(false);
  if (!open)
    return (
      <div className="actions">
        <button type="button" className="button button-danger-outline" onClick={() => setOpen(true)}>
          {t('totp.turnOffOpen')}
        </button>
      </div>
    );
  return (
    <PasswordConfirm
      submitLabel={t('totp.turnOff')}
      pendingLabel={t('totp.turningOff')}
      tone="danger"
      onCancel={() => setOpen(false)}
      onConfirm={async (currentPassword) => {
        await disable.mutateAsync({ currentPassword });
        setOpen(false);
        await changed();
        onDone(t('totp.off'));
      }}
    >
      <p>{t('totp.offWarning')}</p>
    </PasswordConfirm>
  );
}

/** Replaces the recovery codes after confirming; the old ones stop working. */
export function RegenerateRecoveryCodes({ onCodes }: { onCodes: (codes: string[]) => void }) {
  const { t } = useTranslation();
  const trpc = useTRPC();
  const changed = useSecondFactorsChanged();
  const regenerate = useMutation(trpc.mfa.regenerateRecoveryCodes.mutationOptions());
  const [open, setOpen] = useState(false);
  if (!open)
    return (
      <div className="actions">
        <button type="button" className="button button-secondary" onClick={() => setOpen(true)}>
          {t('recovery.regenerateOpen')}
        </button>
      </div>
    );
  return (
    <PasswordConfirm
      submitLabel={t('recovery.regenerate')}
      pendingLabel={t('recovery.regenerating')}
      onCancel={() => setOpen(false)}
      onConfirm={async (currentPassword) => {
        const { recoveryCodes } = await regenerate.mutateAsync({ currentPassword });
        setOpen(false);
        onCodes(recoveryCodes);
        await changed();
      }}
    >
      <p>{t('recovery.regenerateWarning', { count: 10 })}</p>
    </PasswordConfirm>
  );
}
