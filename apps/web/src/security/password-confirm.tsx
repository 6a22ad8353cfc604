import type { ReactNode } from 'react';
import { CurrentPasswordField, FormAlert, text, useForm } from '../forms.js';
import { Submit } from '../ui.js';

/**
 * Asks for the current password before a change to the second factors (the server checks
 * it): a stolen session alone must not be able to add, remove or replace them.
 */
export function PasswordConfirm({
  children,
  submitLabel,
  pendingLabel,
  tone = 'primary',
  onConfirm,
  onCancel,
}: {
  children: ReactNode;
  submitLabel: string;
  pendingLabel: string;
  tone?: 'primary' | 'danger';
  onConfirm: (currentPassword: string) => Promise<void>;
  onCancel: () => void;
}) {
  const form = useForm(['currentPassword']);
  const onSubmit = form.submit((data) => onConfirm(text(data, 'currentPassword')));
  return (
    <form ref={form.ref} onSubmit={onSubmit} noValidate className="stack">
      <FormAlert message={form.errors.form} />
      {children}
      <CurrentPasswordField
        label="Current password"
        name="currentPassword"
        autoFocus
        error={form.errors.fields.currentPassword}
      />
      <div className="actions">
        <Submit pending={form.pending} pendingLabel={pendingLabel} tone={tone}>
          {submitLabel}
        </Submit>
        <button type="button" className="button button-secondary" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
