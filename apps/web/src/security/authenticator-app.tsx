import type { RouterOutputs } from '@tessera/client';
import { useMutation } from '@tanstack/react-query';
import { useTRPC } from '@tessera/react';
import { useState } from 'react';
import { Field, FormAlert, text, useForm } from '../forms.js';
import { Submit } from '../ui.js';
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
  const trpc = useTRPC();
  const start = useMutation(trpc.mfa.totpSetup.mutationOptions());
  const [step, setStep] = useState<'idle' | 'password' | Secret>('idle');

  if (step === 'idle')
    return (
      <div className="actions">
        <button type="button" className="button button-primary" onClick={() => setStep('password')}>
          Set up an authenticator app
        </button>
      </div>
    );
  if (step === 'password')
    return (
      <PasswordConfirm
        submitLabel="Continue"
        pendingLabel="Checking…"
        onCancel={() => setStep('idle')}
        onConfirm={async (currentPassword) => setStep(await start.mutateAsync({ currentPassword }))}
      >
        <p>Confirm it is you to set up an authenticator app.</p>
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
        <li>Open an authenticator app on your phone and scan this QR code.</li>
        <li>
          Or enter this setup key by hand: <code className="setup-key">{secret.secret}</code>
        </li>
        <li>Type the 6-digit code the app shows.</li>
      </ol>
      <QrCode value={secret.otpauthUrl} label="QR code for your authenticator app" />
      <Field
        label="Code from the app"
        name="code"
        autoComplete="one-time-code"
        inputMode="numeric"
        required
        autoFocus
        error={form.errors.fields.code}
      />
      <div className="actions">
        <Submit pending={form.pending} pendingLabel="Checking…">
          Turn on
        </Submit>
        <button type="button" className="button button-secondary" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

/** The authenticator app when it is on: turn it off after confirming. */
export function TotpOff({ onDone }: { onDone: (notice: string) => void }) {
  const trpc = useTRPC();
  const changed = useSecondFactorsChanged();
  const disable = useMutation(trpc.mfa.totpDisable.mutationOptions());
  const [open, setOpen] = useState(false);
  if (!open)
    return (
      <div className="actions">
        <button type="button" className="button button-danger-outline" onClick={() => setOpen(true)}>
          Turn off…
        </button>
      </div>
    );
  return (
    <PasswordConfirm
      submitLabel="Turn off the authenticator app"
      pendingLabel="Turning off…"
      tone="danger"
      onCancel={() => setOpen(false)}
      onConfirm={async (currentPassword) => {
        await disable.mutateAsync({ currentPassword });
        setOpen(false);
        await changed();
        onDone('The authenticator app is off.');
      }}
    >
      <p>
        Sign-ins will no longer ask for a code from your app. If you have no passkey either, your recovery
        codes stop working too and your password alone signs you in.
      </p>
    </PasswordConfirm>
  );
}

/** Replaces the recovery codes after confirming; the old ones stop working. */
export function RegenerateRecoveryCodes({ onCodes }: { onCodes: (codes: string[]) => void }) {
  const trpc = useTRPC();
  const changed = useSecondFactorsChanged();
  const regenerate = useMutation(trpc.mfa.regenerateRecoveryCodes.mutationOptions());
  const [open, setOpen] = useState(false);
  if (!open)
    return (
      <div className="actions">
        <button type="button" className="button button-secondary" onClick={() => setOpen(true)}>
          Make new recovery codes…
        </button>
      </div>
    );
  return (
    <PasswordConfirm
      submitLabel="Make new codes"
      pendingLabel="Making codes…"
      onCancel={() => setOpen(false)}
      onConfirm={async (currentPassword) => {
        const { recoveryCodes } = await regenerate.mutateAsync({ currentPassword });
        setOpen(false);
        onCodes(recoveryCodes);
        await changed();
      }}
    >
      <p>You will get 10 new recovery codes. The codes you have now will stop working at once.</p>
    </PasswordConfirm>
  );
}
