import { useSettings } from '@tessera/react';
import { useEffect, useId, useRef, useState, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { errorMessage } from './errors.js';
import { duration } from './duration.js';
import { formatLocale } from './i18n/index.js';
import { LanguageSwitcher } from './i18n/language-switcher.js';
import { Link } from './router.js';

/** Names the browser tab (and history entry) after the page. */
export function useDocumentTitle(title: string): void {
  useEffect(() => {
    document.title = `${title} · Tessera`;
  }, [title]);
}

/** The centred card of the signed-out pages. */
export function AuthCard({
  title,
  intro,
  children,
}: {
  title: string;
  intro?: ReactNode;
  children: ReactNode;
}) {
  const { t } = useTranslation();
  useDocumentTitle(title);
  return (
    <main className="auth-page" id="main">
      <div className="auth-card">
        <Link href="/" className="brand brand-large" aria-label={t('shell.home')}>
          <Logo /> Tessera
        </Link>
        <h1>{title}</h1>
        {intro && <p className="muted">{intro}</p>}
        {children}
        <footer className="auth-footer">
          <LanguageSwitcher />
        </footer>
      </div>
    </main>
  );
}

export function Logo() {
  return (
    <svg className="logo" viewBox="0 0 32 32" aria-hidden="true" focusable="false">
      <rect width="32" height="32" rx="7" fill="currentColor" />
      <path d="M8 8h7v7H8zM17 8h7v7h-7zM8 17h7v7H8z" fill="#fff" />
      <path d="M17 17h7v7h-7z" fill="#fff" opacity=".55" />
    </svg>
  );
}

/** What a list shows until its first answer: the failure with a way to retry, or a spinner. */
export function Pending({
  query,
  label,
}: {
  query: { error: unknown; refetch: () => unknown };
  label: string;
}) {
  return (
    <div className="card-body">
      {query.error ? (
        <LoadError error={query.error} retry={() => void query.refetch()} />
      ) : (
        <Loading label={label} />
      )}
    </div>
  );
}

/** A polite, visible "working on it". */
export function Loading({ label }: { label?: string }) {
  const { t } = useTranslation();
  return (
    <div className="loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" />
      {label ?? t('common.loading')}
    </div>
  );
}

/** What a failed load says, with a way to try again. */
export function LoadError({ error, retry }: { error: unknown; retry?: () => void }) {
  const { t } = useTranslation();
  return (
    <div className="alert alert-error" role="alert">
      <p>{errorMessage(error)}</p>
      {retry && (
        <button type="button" className="button button-secondary" onClick={retry}>
          {t('common.tryAgain')}
        </button>
      )}
    </div>
  );
}

export function Notice({ children, tone = 'info' }: { children: ReactNode; tone?: 'info' | 'success' }) {
  return (
    <div className={`alert alert-${tone}`} role="status">
      {children}
    </div>
  );
}

export function Empty({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="empty">
      <p className="empty-title">{title}</p>
      {children && <p className="muted">{children}</p>}
    </div>
  );
}

/** A submit button that says it is working. */
export function Submit({
  pending,
  children,
  pendingLabel,
  tone = 'primary',
}: {
  pending: boolean;
  children: ReactNode;
  pendingLabel?: string;
  tone?: 'primary' | 'danger';
}) {
  const { t } = useTranslation();
  return (
    <button
      type="submit"
      className={`button button-${tone}`}
      disabled={pending}
      aria-busy={pending || undefined}
    >
      {pending ? (pendingLabel ?? t('common.working')) : children}
    </button>
  );
}

/**
 * The end of a form: its submit button, then Cancel. `cancelFirst` focuses Cancel when the
 * form opens, for confirmations whose submit does something that cannot be undone.
 */
export function FormActions({
  pending,
  children,
  pendingLabel,
  tone,
  onCancel,
  cancelFirst,
}: {
  pending: boolean;
  children: ReactNode;
  pendingLabel?: string;
  tone?: 'primary' | 'danger';
  onCancel: () => void;
  cancelFirst?: boolean;
}) {
  const { t } = useTranslation();
  return (
    <div className="actions">
      <Submit pending={pending} pendingLabel={pendingLabel} tone={tone}>
        {children}
      </Submit>
      <button type="button" className="button button-secondary" onClick={onCancel} autoFocus={cancelFirst}>
        {t('common.cancel')}
      </button>
    </div>
  );
}

/** An ISO date as readers of the page's language write it (Intl), the exact value on hover. */
export function When({ iso, empty = '—' }: { iso: string | null | undefined; empty?: string }) {
  // Re-renders when the language changes.
  useTranslation();
  if (!iso) return <span className="muted">{empty}</span>;
  const format = new Intl.DateTimeFormat(formatLocale(), { dateStyle: 'medium', timeStyle: 'short' });
  return (
    <time dateTime={iso} title={iso}>
      {format.format(new Date(iso))}
    </time>
  );
}

/** How long an emailed reset link works, from the server's settings ("a short time" until they load). */
export function useResetLinkLifetime(): string {
  const { t, i18n } = useTranslation();
  const ttl = useSettings().data?.resetTokenTtlSeconds;
  return ttl === undefined ? t('common.aShortTime') : duration(ttl, i18n.language);
}

/** A modal <dialog>: the browser traps focus, Escape closes it, focus returns on close. */
export function Dialog({
  title,
  onClose,
  children,
}: {
  title: string;
  onClose: () => void;
  children: ReactNode;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
    return () => dialog?.close();
  }, []);
  return (
    <dialog
      ref={ref}
      aria-labelledby="dialog-title"
      onCancel={(event) => {
        event.preventDefault();
        onClose();
      }}
    >
      <h2 id="dialog-title">{title}</h2>
      {children}
    </dialog>
  );
}

/**
 * A secret the server hands over this once (an API key, a webhook signing secret): shown in
 * full with a Copy button, under a warning that it can't be shown again. `warning` says what
 * to do if it is lost.
 */
export function OneTimeSecret({
  label,
  secret,
  warning,
}: {
  label: string;
  secret: string;
  warning: ReactNode;
}) {
  const { t } = useTranslation();
  const id = useId();
  const input = useRef<HTMLInputElement>(null);
  const [copied, setCopied] = useState<boolean>();
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(secret);
      setCopied(true);
    } catch {
      // No clipboard outside secure contexts, or permission refused: leave it selected instead.
      input.current?.select();
      setCopied(false);
    }
  };
  return (
    <div className="stack">
      <div className="alert alert-warning">
        <p>
          <strong>{t('secret.copyNow')}</strong> {warning}
        </p>
      </div>
      <div className="field">
        <label htmlFor={id}>{label}</label>
        <div className="secret-row">
          <input
            ref={input}
            id={id}
            className="mono"
            readOnly
            value={secret}
            spellCheck={false}
            onFocus={(event) => event.currentTarget.select()}
          />
          <button type="button" className="button button-secondary" onClick={() => void copy()}>
            {t('common.copy')}
          </button>
        </div>
        <p className="field-hint" aria-live="polite">
          {copied === true && t('common.copied')}
          {copied === false && t('secret.copyRefused')}
        </p>
      </div>
    </div>
  );
}
