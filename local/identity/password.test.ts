import { describe, expect, it } from 'vitest';
import { checkPasswordPolicy, generateCode, generatePassword, hashPassword, verifyPassword } from './password.js';

const reason = (pw: string) => {
  try {
    checkPasswordPolicy(pw);
    return 'ok';
  } catch (err) {
    return `${(err as { type: string }).type}: ${(err as Error).message}`;
  }
};

describe('password', () => {
  it("applies Cognito's default policy with its messages", () => {
    expect(reason('Aa1!aaaa')).toBe('ok');
    expect(reason('Aa1 aaaa')).toBe('ok'); // a space inside is a symbol
    expect(reason('Aa1!aaa')).toBe('InvalidPasswordException: Password did not conform with policy: Password not long enough');
    expect(reason('aa1!aaaa')).toBe('InvalidPasswordException: Password did not conform with policy: Password must have uppercase characters');
    expect(reason('AA1!AAAA')).toBe('InvalidPasswordException: Password did not conform with policy: Password must have lowercase characters');
    expect(reason('Aa!!aaaa')).toBe('InvalidPasswordException: Password did not conform with policy: Password must have numeric characters');
    expect(reason('Aa11aaaa')).toBe('InvalidPasswordException: Password did not conform with policy: Password must have symbol characters');
    expect(reason(' Aa1!aaaa')).toMatch(/^InvalidParameterException/);
    expect(reason(`Aa1!${'a'.repeat(253)}`)).toMatch(/^InvalidParameterException/);
  });

  it('hashes with scrypt and a fresh salt, and verifies only the right password', async () => {
    const a = await hashPassword('Right-pass-1');
    const b = await hashPassword('Right-pass-1');
    expect(a).toMatch(/^scrypt\$16384\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    expect(a).not.toBe(b);
    expect(a).not.toContain('Right-pass-1');
    expect(await verifyPassword('Right-pass-1', a)).toBe(true);
    expect(await verifyPassword('Wrong-pass-1', a)).toBe(false);
    expect(await verifyPassword('Right-pass-1', 'md5$whatever')).toBe(false);
  });

  it('generates passwords that meet the policy and six-digit codes', () => {
    for (let i = 0; i < 50; i++) {
      expect(reason(generatePassword())).toBe('ok');
      expect(generateCode()).toMatch(/^\d{6}$/);
    }
    expect(new Set(Array.from({ length: 20 }, generatePassword)).size).toBe(20);
  });
});
