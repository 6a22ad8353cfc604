import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { FormAlert, useForm } from './forms.js';
import { Dialog, Submit } from './ui.js';

/**
 * Asks before a destructive action: says what will happen (`children`), then runs `onConfirm`
 * with the form's pending state and error line. Cancel has the focus, so Enter does no harm.
 */
export function ConfirmDialog({
  title,
  confirmLabel,
  pendingLabel,
  onConfirm,
  onClose,
  children,
}: {
  title: string;
  confirmLabel: string;
  pendingLabel: string;
  onConfirm: () => Promise<void>;
  onClose: () => void;
  children: ReactNode;
}) {
  const { t } = useTranslation();
  const form = useForm([]);
  const onSubmit = form.submit(onConfirm);
  return (
    <Dialog title={title} onClose={onClose}>
      <form ref={form.ref} onSubmit={onSubmit} className="stack">
        <FormAlert message={form.errors.form} />
        {children}
        <div className="actions">
          <Submit pending={form.pending} tone="danger" pendingLabel={pendingLabel}>
            {confirmLabel}
          </Submit>
          <button type="button" className="button button-secondary" onClick={onClose} autoFocus>
            {t('common.cancel')}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
