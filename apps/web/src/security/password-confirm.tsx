import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { CurrentPasswordField, FormAlert, text, useForm } from '../forms.js';
import { FormActions } from '../ui.js';

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
  const { t } = useTranslation();
  const form = useForm(['currentPassword']);
  const onSubmit = form.submit((data) => onConfirm(text(data, 'currentPassword')));
  return (
    <form ref={form.ref} onSubmit={onSubmit} noValidate className="stack">
      <FormAlert message={form.errors.form} />
      {children}
      <CurrentPasswordField
        label={t('common.currentPassword')}
        name="currentPassword"
        autoFocus
        error={form.errors.fields.currentPassword}
      />
      <FormActions pending={form.pending} pendingLabel={pendingLabel} tone={tone} onCancel={onCancel}>
        {submitLabel}
      </FormActions>
    </form>
  );
}
