import { useState } from 'react';
import { i18n } from '../i18n/index.js';
import { useTranslation } from 'react-i18next';

const FILE_NAME = 'tessera-recovery-codes.txt';

/** The text file a person keeps: what the codes are for, then one code a line. */
export function recoveryCodesFile(codes: readonly string[], email: string): string {
  return [i18n.t('recovery.fileTitle', { email }), i18n.t('recovery.fileText'), '', ...codes, ''].join('\n');
}

/**
 * Freshly made recovery codes, shown once: the server keeps only their hashes, so this is
 * the one chance to copy or download them.
 */
export function RecoveryCodes({
  codes,
  email,
  onDone,
}: {
  codes: readonly string[];
  email: string;
  onDone: () => void;
}) {
  const { t } = useTranslation();
  const [copied, setCopied] = useState<string>();

  const copy = async () => {
    try {
      await navigator.clipboard.writeText(codes.join('\n'));
      setCopied(t('common.copied'));
    } catch {
      setCopied(t('recovery.copyRefused'));
    }
  };

  const download = () => {
    const url = URL.createObjectURL(new Blob([recoveryCodesFile(codes, email)], { type: 'text/plain' }));
    const link = document.createElement('a');
    link.href = url;
    link.download = FILE_NAME;
    link.click();
    // The click has handed the file to the browser's download; the URL is no longer needed.
    setTimeout(() => URL.revokeObjectURL(url), 0);
  };

  return (
    <div className="stack" aria-labelledby="recovery-codes-heading" role="group">
      <h3 id="recovery-codes-heading">{t('recovery.yours')}</h3>
      <p>{t('recovery.keep', { count: codes.length })}</p>
      <ol className="recovery-codes" aria-label={t('recovery.heading')}>
        {codes.map((code) => (
          <li key={code}>
            <code>{code}</code>
          </li>
        ))}
      </ol>
      <div className="actions">
        <button type="button" className="button button-secondary" onClick={() => void copy()}>
          {t('common.copy')}
        </button>
        <button type="button" className="button button-secondary" onClick={download}>
          {t('recovery.download')}
        </button>
        <button type="button" className="button button-primary" onClick={onDone}>
          {t('recovery.saved')}
        </button>
      </div>
      <div aria-live="polite">{copied && <p className="muted small">{copied}</p>}</div>
    </div>
  );
}
