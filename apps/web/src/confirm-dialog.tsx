import type { ReactNode } from 'react';
import { FormAlert, useForm } from './forms.js';
import { Dialog, FormActions } from './ui.js';

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
  const form = useForm([]);
  const onSubmit = form.submit(onConfirm);
  return (
    <Dialog title={title} onClose={onClose}>
      <form ref={form.ref} onSubmit={onSubmit} className="stack">
        <FormAlert message={form.errors.form} />
        {children}
        <FormActions
          pending={form.pending}
          tone="danger"
          pendingLabel={pendingLabel}
          onCancel={onClose}
          cancelFirst
        >
          {confirmLabel}
        </FormActions>
      </form>
    </Dialog>
  );
}
