import { useEffect, useId, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { messageFor } from './errors.js';
import { session } from './session.js';
import { exportFormats, ExportError, fetchUserExport, saveFile, type ExportFormat } from './user-export.js';

/**
 * "Export" on the Users page: a small disclosure menu of file formats; the chosen one downloads
 * every user (GET /api/users/export) under the name the server gives it.
 */
export function ExportMenu() {
  const { t } = useTranslation();
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState<ExportFormat>();
  const [status, setStatus] = useState<string>();
  const [error, setError] = useState<string>();
  const menuId = useId();
  const root = useRef<HTMLDivElement>(null);
  const toggle = useRef<HTMLButtonElement>(null);

  // A click anywhere else closes the menu, and so does Escape (focus back on its button), as menus do.
  useEffect(() => {
    if (!open) return;
    const clickAway = (event: PointerEvent) => {
      if (!root.current?.contains(event.target as Node)) setOpen(false);
    };
    const escape = (event: KeyboardEvent) => {
      if (event.key !== 'Escape') return;
      setOpen(false);
      toggle.current?.focus();
    };
    document.addEventListener('pointerdown', clickAway);
    document.addEventListener('keydown', escape);
    return () => {
      document.removeEventListener('pointerdown', clickAway);
      document.removeEventListener('keydown', escape);
    };
  }, [open]);

  const download = async (format: ExportFormat) => {
    setOpen(false);
    setBusy(format);
    setStatus(t('export.preparing'));
    setError(undefined);
    try {
      const file = await fetchUserExport(session, format);
      saveFile(file);
      setStatus(t('export.downloaded', { file: file.fileName }));
    } catch (failure) {
      setStatus(undefined);
      setError(failure instanceof ExportError ? failure.message : messageFor(undefined, undefined));
    } finally {
      setBusy(undefined);
      toggle.current?.focus();
    }
  };

  return (
    <div className="export-menu" ref={root}>
      <button
        ref={toggle}
        type="button"
        className="button button-secondary"
        aria-expanded={open}
        aria-controls={menuId}
        aria-busy={busy ? true : undefined}
        disabled={busy !== undefined}
        onClick={() => setOpen((shown) => !shown)}
      >
        {busy ? t('export.exporting') : t('export.button')}
      </button>
      <ul className="export-menu-list" id={menuId} hidden={!open}>
        {exportFormats.map((format) => (
          <li key={format}>
            <button type="button" className="button button-secondary" onClick={() => void download(format)}>
              {t(`export.${format}`)}
            </button>
          </li>
        ))}
      </ul>
      <p className="small muted" aria-live="polite">
        {status}
      </p>
      {error && (
        <p className="field-error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}
