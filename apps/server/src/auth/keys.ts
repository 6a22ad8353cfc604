import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  hkdfSync,
  randomBytes,
  type KeyObject,
} from 'node:crypto';
import { existsSync, linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { calculateJwkThumbprint, exportJWK, type JWK } from 'jose';

export interface SigningKeys {
  /** Signs new tokens. */
  privateKey: KeyObject;
  kid: string;
  /** The signing key's public half (SPKI PEM), as recorded for the other nodes to compare. */
  publicKeyPem: string;
  /** The kid of JWT_PREVIOUS_PUBLIC_KEY, when a rotation is under way. */
  previousKid: string | undefined;
  /** Every key a token may be verified with, by kid: the current one and a previous one. */
  publicKeys: Map<string, KeyObject>;
  /** The JSON Web Key Set served at /.well-known/jwks.json. */
  jwks: { keys: JWK[] };
}

export interface KeySource {
  privateKeyPem?: string | undefined;
  previousPublicKeyPem?: string | undefined;
  /** Where a generated key is kept when no PEM is configured. */
  keyFile: string;
}

/**
 * The Ed25519 signing key: from JWT_PRIVATE_KEY when set, otherwise generated once and kept
 * in the data folder (owner-only) so tokens survive restarts. A previous public key stays
 * verifiable (and published) during a rotation.
 */
export async function loadSigningKeys(source: KeySource): Promise<SigningKeys> {
  const privateKey = createPrivateKey(source.privateKeyPem ?? readOrCreateKeyFile(source.keyFile));
  if (privateKey.asymmetricKeyType !== 'ed25519')
    throw new Error('JWT_PRIVATE_KEY must be an Ed25519 private key (PKCS8 PEM)');
  const keys = [createPublicKey(privateKey)];
  if (source.previousPublicKeyPem) {
    const previous = createPublicKey(source.previousPublicKeyPem);
    if (previous.asymmetricKeyType !== 'ed25519')
      throw new Error('JWT_PREVIOUS_PUBLIC_KEY must be an Ed25519 public key (PEM)');
    keys.push(previous);
  }
  const publicKeys = new Map<string, KeyObject>();
  const jwks: JWK[] = [];
  for (const key of keys) {
    const jwk = await exportJWK(key);
    const kid = await calculateJwkThumbprint(jwk);
    publicKeys.set(kid, key);
    jwks.push({ ...jwk, kid, alg: 'EdDSA', use: 'sig' });
  }
  const kid = jwks[0]!.kid!;
  const publicKeyPem = keys[0]!.export({ type: 'spki', format: 'pem' }).toString();
  return { privateKey, kid, publicKeyPem, previousKid: jwks[1]?.kid, publicKeys, jwks: { keys: jwks } };
}

function readOrCreateKeyFile(file: string): string {
  if (existsSync(file)) return readFileSync(file, 'utf8');
  mkdirSync(dirname(file), { recursive: true });
  const { privateKey } = generateKeyPairSync('ed25519');
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  // Written whole under another name, then linked into place: a process starting at the same
  // moment never reads a half-written key, and if it created the file first we keep theirs.
  const temporary = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  writeFileSync(temporary, pem, { mode: 0o600, flag: 'wx' });
  try {
    linkSync(temporary, file);
    return pem;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return readFileSync(file, 'utf8');
  } finally {
    unlinkSync(temporary);
  }
}

/**
 * The key that encrypts queued mail bodies, derived from the signing key (HKDF-SHA256) so
 * every node sharing JWT_PRIVATE_KEY can read what another queued, with no extra secret.
 */
export function deriveMailKey(keys: SigningKeys): Uint8Array {
  const secret = keys.privateKey.export({ format: 'der', type: 'pkcs8' });
  return new Uint8Array(hkdfSync('sha256', secret, 'tessera', 'outbox mail encryption', 32));
}

/** The key that seals webhook signing secrets at rest, derived like the mail key (every node agrees). */
export function deriveWebhookKey(keys: SigningKeys): Uint8Array {
  const secret = keys.privateKey.export({ format: 'der', type: 'pkcs8' });
  return new Uint8Array(hkdfSync('sha256', secret, 'tessera', 'webhook secret encryption', 32));
}

/**
 * The key behind each refresh token's successor (HMAC-SHA256), derived from the signing key
 * like the mail key, so every node computes the same successor.
 */
export function deriveRefreshTokenKey(keys: SigningKeys): Uint8Array {
  const secret = keys.privateKey.export({ format: 'der', type: 'pkcs8' });
  return new Uint8Array(hkdfSync('sha256', secret, 'tessera', 'refresh token successor', 32));
}

/**
 * The key that encrypts TOTP secrets at rest (AES-256-GCM), derived from the signing key like
 * the mail key. A new JWT_PRIVATE_KEY therefore makes stored TOTP secrets unreadable: see the
 * README (Second factors) for what rotating the key means for them.
 */
export function deriveSecondFactorKey(keys: SigningKeys): Uint8Array {
  const secret = keys.privateKey.export({ format: 'der', type: 'pkcs8' });
  return new Uint8Array(hkdfSync('sha256', secret, 'tessera', 'second factor secret encryption', 32));
}
