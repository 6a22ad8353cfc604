import { Secret, TOTP } from 'otpauth';
import type { TesseraClient } from '@tessera/client';
import type { TestServer } from './server.js';
import { STRONG_PASSWORD } from './server.js';

const PERIOD_MS = 30_000;

/**
 * The server's clock as the test moves it (`advance`), so a test computes TOTP codes for the
 * step the server is in — from the secret, with otpauth, the way an authenticator app does.
 */
export function serverClock(server: TestServer) {
  let offset = 0;
  return {
    now: () => Date.now() + offset,
    advance(ms: number) {
      offset += ms;
      server.advance(ms);
    },
    /** Moves the clock 5 s into the next 30-second step: 25 s before any code's step changes. */
    startOfStep() {
      const now = Date.now() + offset;
      this.advance(PERIOD_MS - (now % PERIOD_MS) + 5_000);
    },
    /** The code of the step `steps` away from the server's current one. */
    code(secret: string, steps = 0) {
      return TOTP.generate({
        secret: Secret.fromBase32(secret),
        timestamp: Date.now() + offset + steps * PERIOD_MS,
      });
    },
  };
}
export type ServerClock = ReturnType<typeof serverClock>;

/** Sets up and confirms an authenticator app for a signed-in client; returns its secret and recovery codes. */
export async function enrollTotp(client: TesseraClient, clock: ServerClock) {
  const { secret, otpauthUrl } = await client.mfa.totpSetup.mutate({ currentPassword: STRONG_PASSWORD });
  const { recoveryCodes } = await client.mfa.totpConfirm.mutate({ code: clock.code(secret) });
  // The confirming code's step is spent: sign-ins in the tests that follow use the next one.
  clock.advance(PERIOD_MS);
  return { secret, otpauthUrl, recoveryCodes };
}
