import { useState } from 'react';

const FILE_NAME = 'tessera-recovery-codes.txt';

/** The text file a person keeps: what the codes are for, then one code a line. */
export function recoveryCodesFile(codes: readonly string[], email: string): string {
  return [
    `Tessera recovery codes for ${email}`,
    'Each code signs you in once in place of a code from your authenticator app.',
    '',
    ...codes,
    '',
  ].join('\n');
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
  const [copied, setCopied] = useState<string>();

  const copy = async () => {
    try {
      await navigator.clipboard.writeText(codes.join('\n'));
      setCopied('Copied to the clipboard.');
    } catch {
      setCopied('This browser would not copy: select the codes and copy them by hand.');
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
      <h3 id="recovery-codes-heading">Your recovery codes</h3>
      <p>
        Keep these {codes.length} codes somewhere safe, apart from your phone. Each one signs you in once if
        you lose your authenticator app. They are shown only now.
      </p>
      <ol className="recovery-codes" aria-label="Recovery codes">
        {codes.map((code) => (
          <li key={code}>
            <code>{code}</code>
          </li>
        ))}
      </ol>
      <div className="actions">
        <button type="button" className="button button-secondary" onClick={() => void copy()}>
          Copy
        </button>
        <button type="button" className="button button-secondary" onClick={download}>
          Download (.txt)
        </button>
        <button type="button" className="button button-primary" onClick={onDone}>
          I have saved my codes
        </button>
      </div>
      <div aria-live="polite">{copied && <p className="muted small">{copied}</p>}</div>
    </div>
  );
}
