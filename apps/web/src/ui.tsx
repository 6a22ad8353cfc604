import { useSettings } from '@tessera/react';
import { useEffect, useId, useRef, useState, type ReactNode } from 'react';
import { errorMessage } from './errors.js';
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
  useDocumentTitle(title);
  return (
    <main className="auth-page" id="main">
      <div className="auth-card">
        <Link href="/" className="brand brand-large" aria-label="Tessera home">
          <Logo /> Tessera
        </Link>
        <h1>{title}</h1>
        {intro && <p className="muted">{intro}</p>}
        {children}
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
export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <div className="loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" />
      {label}
    </div>
  );
}

/** What a failed load says, with a way to try again. */
export function LoadError({ error, retry }: { error: unknown; retry?: () => void }) {
  return (
    <div className="alert alert-error" role="alert">
      <p>{errorMessage(error)}</p>
      {retry && (
        <button type="button" className="button button-secondary" onClick={retry}>
          Try again
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
  return (
    <button
      type="submit"
      className={`button button-${tone}`}
      disabled={pending}
      aria-busy={pending || undefined}
    >
      {pending ? (pendingLabel ?? 'Working…') : children}
    </button>
  );
}

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

/** An ISO date as people read it, with the exact value on hover. */
export function When({ iso, empty = '—' }: { iso: string | null | undefined; empty?: string }) {
  if (!iso) return <span className="muted">{empty}</span>;
  return (
    <time dateTime={iso} title={iso}>
      {dateFormat.format(new Date(iso))}
    </time>
  );
}

/** A lifetime in words, from a setting in seconds: "30 minutes", "2 hours", "1 day". */
export function duration(seconds: number): string {
  const units: [number, string][] = [
    [86_400, 'day'],
    [3_600, 'hour'],
    [60, 'minute'],
  ];
  for (const [size, unit] of units)
    if (seconds >= size && seconds % size === 0) {
      const count = seconds / size;
      return `${count} ${unit}${count === 1 ? '' : 's'}`;
    }
  const minutes = Math.max(1, Math.round(seconds / 60));
  return `${minutes} minute${minutes === 1 ? '' : 's'}`;
}

/** How long an emailed reset link works, from the server's settings ("a short time" until they load). */
export function useResetLinkLifetime(): string {
  const ttl = useSettings().data?.resetTokenTtlSeconds;
  return ttl === undefined ? 'a short time' : duration(ttl);
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

/** "a" or "an" before `word` ("a manager", "an admin"). */
export function article(word: string): string {
  return /^[aeiou]/i.test(word) ? 'an' : 'a';
}

/** A word with its first letter in capitals ("admin" → "Admin"). */
export function capitalise(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
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
          <strong>Copy it now: this is the only time it is shown.</strong> {warning}
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
            Copy
          </button>
        </div>
        <p className="field-hint" aria-live="polite">
          {copied === true && 'Copied to the clipboard.'}
          {copied === false &&
            'Copying was not allowed here: the text is selected, copy it with Ctrl+C (⌘C).'}
        </p>
      </div>
    </div>
  );
}
