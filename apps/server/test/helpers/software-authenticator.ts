import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { isoCBOR } from '@simplewebauthn/server/helpers';
import type { RouterInputs, RouterOutputs } from '@tessera/client';

type CreationOptions = RouterOutputs['passkeys']['registrationOptions'];
type RequestOptions = RouterOutputs['auth']['passkeyOptions'];
export type Registration = RouterInputs['passkeys']['register']['response'];
export type Assertion = RouterInputs['auth']['passkeyLogin']['response'];

type CBOR = Parameters<typeof isoCBOR.encode>[0];

const b64 = (bytes: Uint8Array | string) => Buffer.from(bytes).toString('base64url');
const sha256 = (data: Uint8Array | string) => createHash('sha256').update(data).digest();

/** Authenticator data flags (WebAuthn §6.1). */
const UP = 0x01;
const UV = 0x04;
const AT = 0x40;

interface Credential {
  id: Buffer;
  privateKey: KeyObject;
  /** The COSE form of the public key (EC2, P-256, ES256). */
  cosePublicKey: Uint8Array;
  userHandle: string;
  counter: number;
}

/**
 * A test-only WebAuthn authenticator in software (a P-256 key, "none" attestation, CBOR
 * through @simplewebauthn's helpers): it answers options the way a browser and a platform
 * authenticator would, and lets a test lie where a real one would not — another origin, no
 * user verification, a counter that goes back (a clone).
 */
export class SoftwareAuthenticator {
  private credential: Credential | undefined;

  constructor(private readonly origin: string) {}

  /** A `navigator.credentials.create()` answer to `options`, as `toJSON()` gives it. */
  register(options: CreationOptions, overrides: { origin?: string } = {}): Registration {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = publicKey.export({ format: 'jwk' });
    const cosePublicKey = isoCBOR.encode(
      new Map<number, number | Uint8Array>([
        [1, 2], // kty: EC2
        [3, -7], // alg: ES256
        [-1, 1], // crv: P-256
        [-2, new Uint8Array(Buffer.from(jwk.x!, 'base64url'))],
        [-3, new Uint8Array(Buffer.from(jwk.y!, 'base64url'))],
      ]),
    );
    const id = randomBytes(32);
    this.credential = { id, privateKey, cosePublicKey, userHandle: options.user.id, counter: 0 };
    const rpId = options.rp.id ?? new URL(this.origin).hostname;
    const idLength = Buffer.alloc(2);
    idLength.writeUInt16BE(id.length);
    const authData = Buffer.concat([
      sha256(rpId),
      Buffer.from([UP | UV | AT]),
      Buffer.alloc(4),
      Buffer.alloc(16), // AAGUID: none
      idLength,
      id,
      cosePublicKey,
    ]);
    const attestationObject = isoCBOR.encode(
      new Map<string, CBOR>([
        ['fmt', 'none'],
        ['attStmt', new Map<string, CBOR>()],
        ['authData', new Uint8Array(authData)],
      ]),
    );
    const clientData = this.clientData('webauthn.create', options.challenge, overrides.origin);
    return {
      id: b64(id),
      rawId: b64(id),
      type: 'public-key',
      response: {
        clientDataJSON: b64(clientData),
        attestationObject: b64(attestationObject),
        transports: ['internal'],
      },
      clientExtensionResults: {},
      authenticatorAttachment: 'platform',
    };
  }

  /** A `navigator.credentials.get()` answer to `options`; the counter moves forward by one. */
  assert(
    options: RequestOptions,
    overrides: { origin?: string; userVerified?: boolean; rpId?: string } = {},
  ): Assertion {
    const credential = this.credential;
    if (!credential) throw new Error('register a credential first');
    credential.counter += 1;
    const counter = Buffer.alloc(4);
    counter.writeUInt32BE(credential.counter);
    const flags = UP | (overrides.userVerified === false ? 0 : UV);
    const rpId = overrides.rpId ?? options.rpId ?? new URL(this.origin).hostname;
    const authData = Buffer.concat([sha256(rpId), Buffer.from([flags]), counter]);
    const clientData = this.clientData('webauthn.get', options.challenge, overrides.origin);
    const signature = sign('sha256', Buffer.concat([authData, sha256(clientData)]), credential.privateKey);
    return {
      id: b64(credential.id),
      rawId: b64(credential.id),
      type: 'public-key',
      response: {
        clientDataJSON: b64(clientData),
        authenticatorData: b64(authData),
        signature: b64(signature),
        userHandle: credential.userHandle,
      },
      clientExtensionResults: {},
      authenticatorAttachment: 'platform',
    };
  }

  /** The credential id (base64url) of the registered credential. */
  get credentialId(): string | undefined {
    return this.credential && b64(this.credential.id);
  }

  /** A copy of this authenticator's key with its counter as it is now: a cloned authenticator. */
  clone(): SoftwareAuthenticator {
    const copy = new SoftwareAuthenticator(this.origin);
    if (this.credential) copy.credential = { ...this.credential };
    return copy;
  }

  private clientData(type: string, challenge: string, origin = this.origin): string {
    return JSON.stringify({ type, challenge, origin, crossOrigin: false });
  }
}
