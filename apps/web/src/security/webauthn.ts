import {
  browserSupportsWebAuthn,
  startAuthentication,
  startRegistration,
  WebAuthnError,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
} from '@simplewebauthn/browser';
import type { PasskeyAssertion, PasskeyRequestOptions, RouterInputs, RouterOutputs } from '@tessera/client';
import { errorMessage } from '../errors.js';
import { i18n } from '../i18n/index.js';

type CreationOptions = RouterOutputs['passkeys']['registrationOptions'];
type Registration = RouterInputs['passkeys']['register']['response'];

/** True when this browser can make and use passkeys at all (WebAuthn in a secure context). */
export function passkeysSupported(): boolean {
  return browserSupportsWebAuthn();
}

// The server makes its options with @simplewebauthn/server, so they are the JSON the browser
// half expects; the API types them with plain strings where WebAuthn has open enumerations,
// and the extension results as a plain record (copied out of the browser's interface type).

/** Asks the browser to make a passkey for these options (the person confirms on their device). */
export async function createPasskey(options: CreationOptions): Promise<Registration> {
  const answer = await startRegistration({ optionsJSON: options as PublicKeyCredentialCreationOptionsJSON });
  return { ...answer, clientExtensionResults: { ...answer.clientExtensionResults } };
}

/** Asks the browser for a passkey's answer to a sign-in challenge. */
export async function getPasskeyAssertion(options: PasskeyRequestOptions): Promise<PasskeyAssertion> {
  const answer = await startAuthentication({ optionsJSON: options as PublicKeyCredentialRequestOptionsJSON });
  return { ...answer, clientExtensionResults: { ...answer.clientExtensionResults } };
}

/** One sentence for a failed passkey ceremony (the browser's refusal) or call (the server's). */
export function passkeyErrorMessage(error: unknown): string {
  const name = error instanceof WebAuthnError || error instanceof DOMException ? error.name : undefined;
  if (error instanceof WebAuthnError && error.code === 'ERROR_AUTHENTICATOR_PREVIOUSLY_REGISTERED')
    return i18n.t('passkeys.alreadyHere');
  if (name === 'NotAllowedError' || name === 'AbortError') return i18n.t('passkeys.cancelled');
  if (name === 'InvalidStateError') return i18n.t('passkeys.alreadyHere');
  if (name !== undefined) return i18n.t('passkeys.browserFailed');
  return errorMessage(error);
}
