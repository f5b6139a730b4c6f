/**
 * Staff roles with least privilege. A definition may declare its own; otherwise five defaults are
 * derived from the purposes: the admin may do everything, the DPO reads everything and handles
 * requests and the log, support works the customer relationship (purposes that are not
 * marketing, profiling or market research), marketing works the marketing purposes, and the
 * auditor reads only the access log.
 */
import { STAFF_ACTIONS, type RegisterDefinition, type RoleDefinition } from './schema.ts';

export function defaultRoles(def: Pick<RegisterDefinition, 'purposes'>): RoleDefinition[] {
  const marketing = (p: RegisterDefinition['purposes'][number]) =>
    p.directMarketing || p.profiling || p.marketResearch;
  const service = def.purposes.filter((p) => !marketing(p)).map((p) => p.id);
  const market = def.purposes.filter(marketing).map((p) => p.id);
  return [
    {
      id: 'admin',
      label: { sv: 'Administratör', fi: 'Pääkäyttäjä', en: 'Administrator' },
      read: ['*'],
      write: ['*'],
      actions: [...STAFF_ACTIONS],
    },
    {
      id: 'dpo',
      label: { sv: 'Dataskyddsombud', fi: 'Tietosuojavastaava', en: 'Data protection officer' },
      read: ['*'],
      write: [],
      actions: ['handle_requests', 'read_audit'],
    },
    {
      id: 'support',
      label: { sv: 'Kundtjänst', fi: 'Asiakaspalvelu', en: 'Customer support' },
      read: service,
      write: service,
      actions: [],
    },
    {
      id: 'marketing',
      label: { sv: 'Marknadsföring', fi: 'Markkinointi', en: 'Marketing' },
      read: market,
      write: market,
      actions: ['export_audiences'],
    },
    {
      id: 'auditor',
      label: { sv: 'Granskare', fi: 'Tarkastaja', en: 'Auditor' },
      read: [],
      write: [],
      actions: ['read_audit'],
    },
  ];
}
