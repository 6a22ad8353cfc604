import { useUser } from '@tessera/react';
import { useTranslation } from 'react-i18next';
import { useState } from 'react';
import { navigate } from '../router.js';
import { TotpSetup } from '../security/authenticator-app.js';
import { AddPasskey } from '../security/passkeys.js';
import { RecoveryCodes } from '../security/recovery-codes.js';
import { Notice, useDocumentTitle } from '../ui.js';

/**
 * The one page open to a person whose role requires a second factor and who has none yet
 * (the server refuses them everything else): an authenticator app or a passkey, either does.
 */
export function SetUpSecondFactorPage() {
  const { t } = useTranslation();
  useDocumentTitle(t('setUp.title'));
  const user = useUser();
  const [codes, setCodes] = useState<string[]>();
  if (!user) return null;
  const toProfile = () => navigate('/profile', { replace: true });

  return (
    <main className="page page-narrow" id="main">
      <header className="page-header">
        <div>
          <h1>{t('setUp.title')}</h1>
          <p className="muted">{t('setUp.intro')}</p>
        </div>
      </header>
      {codes ? (
        <section className="card" aria-label={t('recovery.heading')}>
          <Notice tone="success">{t('totp.on')}</Notice>
          <RecoveryCodes codes={codes} email={user.email} onDone={toProfile} />
        </section>
      ) : user.mfaEnabled ? (
        <section className="card stack" aria-label={t('setUp.done')}>
          <Notice tone="success">{t('setUp.doneText')}</Notice>
          <div className="actions">
            <button type="button" className="button button-primary" onClick={toProfile}>
              {t('setUp.toProfile')}
            </button>
          </div>
        </section>
      ) : (
        <>
          <section className="card stack" aria-labelledby="setup-totp-heading">
            <h2 id="setup-totp-heading">{t('totp.heading')}</h2>
            <p className="muted">{t('setUp.totpText')}</p>
            <TotpSetup onConfirmed={setCodes} />
          </section>
          <section className="card stack" aria-labelledby="setup-passkey-heading">
            <h2 id="setup-passkey-heading">{t('setUp.passkey')}</h2>
            <p className="muted">{t('setUp.passkeyText')}</p>
            <AddPasskey />
          </section>
        </>
      )}
    </main>
  );
}
