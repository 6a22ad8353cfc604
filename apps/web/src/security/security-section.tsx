import { useQuery } from '@tanstack/react-query';
import { useTRPC, useUser } from '@tessera/react';
import { useState } from 'react';
import { Notice, Pending } from '../ui.js';
import { RegenerateRecoveryCodes, TotpOff, TotpSetup } from './authenticator-app.js';
import { AddPasskey, PasskeyList } from './passkeys.js';
import { RecoveryCodes } from './recovery-codes.js';

/** The profile's second factors: authenticator app, recovery codes and passkeys. */
export function SecuritySection() {
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
        <h2 id="security-heading">Security</h2>
        <span className={`badge badge-sentence ${user.mfaEnabled ? 'badge-active' : 'badge-disabled'}`}>
          {user.mfaEnabled ? 'Two-step sign-in on' : 'Password only'}
        </span>
      </div>
      <div aria-live="polite">{notice && <Notice tone="success">{notice}</Notice>}</div>
      {codes ? (
        <RecoveryCodes codes={codes} email={user.email} onDone={() => setCodes(undefined)} />
      ) : !status.data ? (
        <Pending query={status} label="Loading your second factors…" />
      ) : (
        <div className="stack">
          <div className="stack" role="group" aria-labelledby="totp-heading">
            <h3 id="totp-heading">Authenticator app</h3>
            {status.data.totp ? (
              <>
                <p className="muted">On: signing in asks for a code from your app after your password.</p>
                <TotpOff onDone={setNotice} />
              </>
            ) : (
              <>
                <p className="muted">
                  Off. An app such as Google Authenticator, 1Password or Aegis makes a new 6-digit code every
                  30 seconds.
                </p>
                <TotpSetup
                  onConfirmed={(next) =>
                    showCodes(next, 'The authenticator app is on. Save your recovery codes.')
                  }
                />
              </>
            )}
          </div>
          {user.mfaEnabled && (
            <div className="stack" role="group" aria-labelledby="recovery-heading">
              <h3 id="recovery-heading">Recovery codes</h3>
              <p className="muted">
                {status.data.recoveryCodesLeft} of 10 left. Each signs you in once if you lose your device.
              </p>
              <RegenerateRecoveryCodes
                onCodes={(next) => showCodes(next, 'New recovery codes made; the old ones no longer work.')}
              />
            </div>
          )}
          <div className="stack" role="group" aria-labelledby="passkeys-heading">
            <h3 id="passkeys-heading">Passkeys</h3>
            <p className="muted">
              A passkey signs you in without a password, and also answers the second step after one.
            </p>
            <PasskeyList />
            <AddPasskey onAdded={(passkey) => setNotice(`Passkey “${passkey.name}” added.`)} />
          </div>
        </div>
      )}
    </section>
  );
}
