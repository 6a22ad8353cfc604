import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { useTRPC, useUser } from '@tessera/react';
import { useState } from 'react';
import { Notice, Pending } from '../ui.js';
import { RegenerateRecoveryCodes, TotpOff, TotpSetup } from './authenticator-app.js';
import { AddPasskey, PasskeyList } from './passkeys.js';
import { RecoveryCodes } from './recovery-codes.js';

/** The profile's second factors: authenticator app, recovery codes and passkeys. */
export function SecuritySection() {
  const { t } = useTranslation();
  const user = useUser();
  const trpc = useTRPC();
  const status = useQuery(trpc.mfa.status.queryOptions());
  // New recovery codes, shown once: while they are on screen, nothing else in the section is.
  const [codes, setCodes] = useState<string[]>();
  const [notice, setNotice] = useState<string>();
  if (!user) return null;

  const showCodes = (next: string[], message: string) => {
    setNotice(message);
    setCodes(next);
  };

  return (
    <section className="card" aria-labelledby="security-heading">
      <div className="card-header">
        <h2 id="security-heading">{t('security.heading')}</h2>
        <span className={`badge badge-sentence ${user.mfaEnabled ? 'badge-active' : 'badge-disabled'}`}>
          {user.mfaEnabled ? t('security.twoStepOn') : t('security.passwordOnly')}
        </span>
      </div>
      <div aria-live="polite">{notice && <Notice tone="success">{notice}</Notice>}</div>
      {codes ? (
        <RecoveryCodes codes={codes} email={user.email} onDone={() => setCodes(undefined)} />
      ) : !status.data ? (
        <Pending query={status} label={t('security.loading')} />
      ) : (
        <div className="stack">
          <div className="stack" role="group" aria-labelledby="totp-heading">
            <h3 id="totp-heading">{t('totp.heading')}</h3>
            {status.data.totp ? (
              <>
                <p className="muted">{t('security.totpOn')}</p>
                <TotpOff onDone={setNotice} />
              </>
            ) : (
              <>
                <p className="muted">{t('security.totpOff')}</p>
                <TotpSetup onConfirmed={(next) => showCodes(next, t('security.totpOnSave'))} />
              </>
            )}
          </div>
          {user.mfaEnabled && (
            <div className="stack" role="group" aria-labelledby="recovery-heading">
              <h3 id="recovery-heading">{t('recovery.heading')}</h3>
              <p className="muted">
                {t('recovery.left', { count: status.data.recoveryCodesLeft, total: 10 })}
              </p>
              <RegenerateRecoveryCodes onCodes={(next) => showCodes(next, t('recovery.regenerated'))} />
            </div>
          )}
          <div className="stack" role="group" aria-labelledby="passkeys-heading">
            <h3 id="passkeys-heading">{t('passkeys.heading')}</h3>
            <p className="muted">{t('passkeys.intro')}</p>
            <PasskeyList />
            <AddPasskey onAdded={(passkey) => setNotice(t('passkeys.added', { name: passkey.name }))} />
          </div>
        </div>
      )}
    </section>
  );
}
