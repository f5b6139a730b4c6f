/**
 * Password rules for staff accounts: at least 12 characters, and not one of the passwords
 * attackers try first. The list holds the most frequent entries of public breach corpora of at
 * least 12 characters, plus shapes every guessing tool starts with.
 */
import { hash, verify } from '@node-rs/argon2';
import { textFault } from '../../lib/text.ts';

export const MIN_PASSWORD = 12;
export const MAX_PASSWORD = 256;

const COMMON = new Set([
  '123456789012',
  '1234567890123',
  '12345678901234',
  '123456789123',
  '1q2w3e4r5t6y',
  'qwertyuiop12',
  'qwertyuiopasdfgh',
  'password1234',
  'password12345',
  'passwordpassword',
  'iloveyou1234',
  'administrator',
  'adminadminadmin',
  'welcome12345',
  'letmein12345',
  'qwerty123456',
  '1qaz2wsx3edc',
  'zaq12wsxcde3',
  'abcdefghijkl',
  'abc123abc123',
  'changeme1234',
  'trustno1trustno1',
  'passw0rd1234',
  'p@ssw0rd1234',
  'salasana1234',
  'salasana123456',
  'lösenord1234',
  'losenord1234',
  'kesäkuu2024!',
  'rekisteri123',
  'rekisteri1234',
  'summer2024!!',
  'winter2024!!',
  'football1234',
  'baseball1234',
  'superman1234',
  'starwars1234',
  'princess1234',
  'sunshine1234',
  'monkey123456',
  'dragon123456',
  'master123456',
  'aaaaaaaaaaaa',
  '111111111111',
  '000000000000',
  'asdfghjkl123',
  'asdfasdfasdf',
  'qweasdzxc123',
  'ilovemyself1',
  'Password123!',
  'Qwerty123456!',
  'Welcome2024!',
  'Password2024!',
  'Salasana123!',
]);

export function passwordProblem(password: string, username?: string): string | undefined {
  const length = [...password].length;
  if (length < MIN_PASSWORD) {
    return `must be at least ${MIN_PASSWORD} characters`;
  }
  if (length > MAX_PASSWORD) {
    return `must be at most ${MAX_PASSWORD} characters`;
  }
  const fault = textFault(password);
  if (fault) {
    return fault;
  }
  const lower = password.toLowerCase();
  if (COMMON.has(password) || COMMON.has(lower) || new Set(password).size <= 2) {
    return 'is one of the passwords attackers try first; choose another';
  }
  if (username && lower.includes(username.toLowerCase())) {
    return 'must not contain the username';
  }
  return undefined;
}

/** argon2id with the library's defaults (19 MiB, 2 passes), the OWASP baseline. */
export const hashPassword = (password: string) => hash(password);
export const verifyPassword = (hashed: string, password: string) =>
  verify(hashed, password).catch(() => false);
