import { useUser } from '@tessera/react';
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
  useDocumentTitle('Set up a second factor');
  const user = useUser();
  const [codes, setCodes] = useState<string[]>();
  if (!user) return null;
  const toProfile = () => navigate('/profile', { replace: true });

  return (
    <main className="page page-narrow" id="main">
      <header className="page-header">
        <div>
          <h1>Set up a second factor</h1>
          <p className="muted">
            A second factor keeps your account safe even if your password leaks. Choose an authenticator app
            or a passkey; you can add the other later from your profile.
          </p>
        </div>
      </header>
      {codes ? (
        <section className="card" aria-label="Recovery codes">
          <Notice tone="success">The authenticator app is on.</Notice>
          <RecoveryCodes codes={codes} email={user.email} onDone={toProfile} />
        </section>
      ) : user.mfaEnabled ? (
        <section className="card stack" aria-label="Done">
          <Notice tone="success">
            Your second factor is set up. Every page of Tessera is open to you again.
          </Notice>
          <div className="actions">
            <button type="button" className="button button-primary" onClick={toProfile}>
              Continue to your profile
            </button>
          </div>
        </section>
      ) : (
        <>
          <section className="card stack" aria-labelledby="setup-totp-heading">
            <h2 id="setup-totp-heading">Authenticator app</h2>
            <p className="muted">A 6-digit code from an app on your phone, asked after your password.</p>
            <TotpSetup onConfirmed={setCodes} />
          </section>
          <section className="card stack" aria-labelledby="setup-passkey-heading">
            <h2 id="setup-passkey-heading">Passkey</h2>
            <p className="muted">Your fingerprint, face or device PIN, on this device or a security key.</p>
            <AddPasskey />
          </section>
        </>
      )}
    </main>
  );
}
