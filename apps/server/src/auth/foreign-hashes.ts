import { createHash, pbkdf2, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import { hash as argon2Hash, verify as argon2Verify } from '@node-rs/argon2';
import { hash as bcryptHash, verify as bcryptVerify } from '@node-rs/bcrypt';
import { PASSWORD_HASH_CEILINGS, type ParsedPasswordHash } from '@tessera/api';

const pbkdf2Async = promisify(pbkdf2);

/**
 * Checks a password against a hash imported from another system (parsePasswordHash read
 * it). Every check runs off the event loop: argon2 and bcrypt in their native thread pools,
 * PBKDF2 in libuv's.
 */
export async function verifyForeignHash(parsed: ParsedPasswordHash, password: string): Promise<boolean> {
  switch (parsed.format) {
    case 'argon2':
    case 'django_argon2':
      return argon2Verify(parsed.verifiable, password);
    case 'bcrypt':
      return bcryptVerify(password, parsed.verifiable);
    case 'django_bcrypt_sha256':
      // Django hashes the password first (so bcrypt's 72-byte limit never truncates it):
      // bcrypt of the lower-case hex SHA-256 of its UTF-8 bytes.
      return bcryptVerify(createHash('sha256').update(password, 'utf8').digest('hex'), parsed.verifiable);
    case 'django_pbkdf2_sha256':
    case 'django_pbkdf2_sha1': {
      const { iterations, salt, key } = parsed.cost as { iterations: number; salt: string; key: string };
      const expected = Buffer.from(key, 'base64');
      const digest = parsed.format === 'django_pbkdf2_sha256' ? 'sha256' : 'sha1';
      const derived = await pbkdf2Async(password, salt, iterations, expected.length, digest);
      return timingSafeEqual(derived, expected);
    }
  }
}

/**
 * How long the costliest hash import accepts takes to check on this machine now: one run at
 * each kind's ceiling (PASSWORD_HASH_CEILINGS), the slowest kept. About a second of CPU,
 * spent once per process and only where imported hashes exist.
 */
export async function slowestForeignCheckMs(): Promise<number> {
  const max = PASSWORD_HASH_CEILINGS;
  const timings = [
    () => bcryptHash('calibration', { cost: max.bcryptCost }),
    () => pbkdf2Async('calibration', 'calibration', max.pbkdf2Iterations, 32, 'sha256'),
    () => pbkdf2Async('calibration', 'calibration', max.pbkdf2Iterations, 20, 'sha1'),
    () =>
      argon2Hash('calibration', {
        memoryCost: max.argon2.memoryKib,
        timeCost: Math.floor(max.argon2.memoryTimesPasses / max.argon2.memoryKib),
        parallelism: max.argon2.parallelism,
      }),
  ];
  let slowest = 0;
  for (const run of timings) {
    const started = performance.now();
    await run();
    slowest = Math.max(slowest, performance.now() - started);
  }
  return slowest;
}
