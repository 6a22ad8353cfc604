import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { openBody, sealBody } from './sealed.js';

describe('sealed secrets (mail bodies, TOTP secrets)', () => {
  const key = randomBytes(32);
  const body = {
    text: 'reset: https://x.test/reset-password#token=abc',
    html: '<p>hi</p>',
    link: 'https://x.test/r#token=abc',
  };

  it('round-trips and hides the plaintext', () => {
    const sealed = sealBody(body, key);
    expect(sealed).not.toContain('token=abc');
    expect(Buffer.from(sealed, 'base64').toString('latin1')).not.toContain('token=abc');
    expect(openBody(sealed, key)).toEqual(body);
  });

  it('uses a fresh IV every time', () => {
    expect(sealBody(body, key)).not.toBe(sealBody(body, key));
  });

  it('refuses altered data and a wrong key', () => {
    const sealed = Buffer.from(sealBody(body, key), 'base64');
    sealed[sealed.length - 1]! ^= 1;
    expect(() => openBody(sealed.toString('base64'), key)).toThrow();
    expect(() => openBody(sealBody(body, key), randomBytes(32))).toThrow();
  });
});
