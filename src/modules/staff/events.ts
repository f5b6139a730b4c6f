/** The staff module's access-log events: sign-ins, and changes to staff accounts. */
import { z } from 'zod';
import { auditData, defineAuditEvent, type AuditEventMap } from '../audit/index.ts';

const STEPS = { password: 'password', second_factor: 'second factor' } as const;
const step = z.enum(['password', 'second_factor']);

const FAILURE = {
  wrong_password: {
    sv: 'fel lösenord',
    fi: 'väärä salasana',
    en: 'wrong password',
  },
  wrong_code: {
    sv: 'fel kod för andra faktorn',
    fi: 'väärä toisen vaiheen koodi',
    en: 'wrong second-factor code',
  },
  unknown_username: {
    sv: 'okänt användarnamn',
    fi: 'tuntematon käyttäjätunnus',
    en: 'unknown username',
  },
  disabled_account: {
    sv: 'kontot är avstängt',
    fi: 'tili on poistettu käytöstä',
    en: 'the account is disabled',
  },
  locked: { sv: 'kontot är låst', fi: 'tili on lukittu', en: 'the account is locked' },
} as const;

const CHANGED = {
  role: { sv: 'roll', fi: 'rooli', en: 'role' },
  name: { sv: 'namn', fi: 'nimi', en: 'name' },
  disabled: { sv: 'avstängd', fi: 'poistettu käytöstä', en: 'disabled' },
  enabled: { sv: 'aktiverad', fi: 'otettu käyttöön', en: 'enabled' },
  email: { sv: 'e-postadress', fi: 'sähköpostiosoite', en: 'e-mail address' },
  language: { sv: 'språk', fi: 'kieli', en: 'language' },
} as const;

const changedList = (changed: ReadonlyArray<keyof typeof CHANGED>, lang: 'sv' | 'fi' | 'en') =>
  changed.map((c) => CHANGED[c][lang]).join(', ') || '—';

export const staffEvents = [
  defineAuditEvent('staff.login', z.strictObject({ step, secondFactorPending: z.boolean() }), {
    sv: (d) =>
      `Loggade in (${d.step === 'password' ? 'lösenord' : 'andra faktorn'})${d.secondFactorPending ? '; andra faktorn väntar' : ''}`,
    fi: (d) =>
      `Kirjautui sisään (${d.step === 'password' ? 'salasana' : 'toinen vaihe'})${d.secondFactorPending ? '; toinen vaihe odottaa' : ''}`,
    en: (d) =>
      `Signed in (${STEPS[d.step]})${d.secondFactorPending ? '; second factor pending' : ''}`,
  }),
  defineAuditEvent(
    'staff.login_failed',
    z.strictObject({
      reason: z.enum([
        'wrong_password',
        'wrong_code',
        'unknown_username',
        'disabled_account',
        'locked',
      ]),
    }),
    {
      sv: (d) => `Misslyckad inloggning: ${FAILURE[d.reason].sv}`,
      fi: (d) => `Epäonnistunut kirjautuminen: ${FAILURE[d.reason].fi}`,
      en: (d) => `Failed sign-in: ${FAILURE[d.reason].en}`,
    },
  ),
  defineAuditEvent('staff.lockout', z.strictObject({ step }), {
    sv: (d) =>
      `Kontot låstes efter upprepade misslyckade inloggningar (${d.step === 'password' ? 'lösenord' : 'andra faktorn'})`,
    fi: (d) =>
      `Tili lukittiin toistuvien epäonnistuneiden kirjautumisten jälkeen (${d.step === 'password' ? 'salasana' : 'toinen vaihe'})`,
    en: (d) => `Account locked after repeated failed sign-ins (${STEPS[d.step]})`,
  }),
  defineAuditEvent('staff.logout', z.strictObject({}), {
    sv: () => 'Loggade ut',
    fi: () => 'Kirjautui ulos',
    en: () => 'Signed out',
  }),
  defineAuditEvent(
    'staff.create',
    z.strictObject({ staffId: auditData.id(), role: auditData.code() }),
    {
      sv: (d) => `Skapade personalkontot ${d.staffId} med rollen ${d.role}`,
      fi: (d) => `Loi henkilökunnan tilin ${d.staffId} roolilla ${d.role}`,
      en: (d) => `Created staff account ${d.staffId} with role ${d.role}`,
    },
  ),
  defineAuditEvent(
    'staff.update',
    z.strictObject({
      staffId: auditData.id(),
      changed: z.array(z.enum(['role', 'name', 'disabled', 'enabled', 'email', 'language'])),
      role: z.strictObject({ from: auditData.code(), to: auditData.code() }).optional(),
    }),
    {
      sv: (d) =>
        `Ändrade personalkontot ${d.staffId}: ${changedList(d.changed, 'sv')}${d.role ? ` (${d.role.from} → ${d.role.to})` : ''}`,
      fi: (d) =>
        `Muutti henkilökunnan tiliä ${d.staffId}: ${changedList(d.changed, 'fi')}${d.role ? ` (${d.role.from} → ${d.role.to})` : ''}`,
      en: (d) =>
        `Changed staff account ${d.staffId}: ${changedList(d.changed, 'en')}${d.role ? ` (${d.role.from} → ${d.role.to})` : ''}`,
    },
  ),
  defineAuditEvent('staff.password', z.strictObject({}), {
    sv: () => 'Bytte sitt lösenord',
    fi: () => 'Vaihtoi salasanansa',
    en: () => 'Changed their password',
  }),
  defineAuditEvent('staff.totp', z.strictObject({ enabled: z.boolean() }), {
    sv: (d) => `${d.enabled ? 'Slog på' : 'Stängde av'} tvåstegsinloggning`,
    fi: (d) => `${d.enabled ? 'Otti käyttöön' : 'Poisti käytöstä'} kaksivaiheisen kirjautumisen`,
    en: (d) => `${d.enabled ? 'Turned on' : 'Turned off'} two-factor sign-in`,
  }),
] as const;

declare module '../audit/define-event.ts' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface AuditEventTypes extends AuditEventMap<typeof staffEvents> {}
}
