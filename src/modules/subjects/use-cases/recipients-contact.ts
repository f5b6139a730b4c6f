/**
 * What handling a request needs to know about the person besides their values.
 *
 * `recipientsOf` (Art. 19): the recipients of the definition that receive a category the person
 * has data in, each with those categories. A recipient that lists no categories receives those of
 * the purposes it lists. Rekisteri records no individual disclosures, so the list errs on the side
 * of telling: every recipient declared to receive such a category, whatever purpose the values
 * were collected for. No value is opened.
 *
 * `contactOf`: how to write to the person (before a restriction is lifted, Art. 18(3); to tell them
 * of compelling grounds, Art. 21(1)): the primary e-mail address and phone number (the first field
 * of type `email` and of type `phone`, in definition order, that holds a value: the same ones the
 * lookup indexes) and the preferred language: the first `enum` field whose declared values are
 * all among sv, fi and en and that holds one of them (the demo's `contact.language`); null where
 * there is none. The phone number is given in international form (+358401234567). It reads whatever a restriction or a stop hides from purposes: telling the
 * person is not processing for those purposes.
 *
 * Both are request handling: `handle_requests` (or an API key trusted with erasure) and every
 * purpose, as stopping processing.
 */
import type { Actor } from '../../../lib/actor.ts';
import { normalisePhone } from '../../../vault/normalise.ts';
import type { UseCaseContext } from '../access.ts';
import { subjectsRepo as repo } from '../subjects.repo.ts';
import { requireRequestHandler } from './stop-processing.ts';

const LANGS = ['sv', 'fi', 'en'] as const;
export type ContactLang = (typeof LANGS)[number];

export interface PersonContact {
  email: string | null;
  phone: string | null;
  lang: ContactLang | null;
}

export function createRecipientsAndContact(ctx: UseCaseContext) {
  const { access, audit, db, register } = ctx;
  const def = register.definition;
  /** Each recipient's categories: its own, or its purposes' when it lists none. */
  const received = def.recipients.map((r) => ({
    id: r.id,
    // Staff read it: in the register's main language.
    name: r.name[register.languages[0] ?? 'fi'],
    categories: new Set(
      r.categories.length > 0
        ? r.categories
        : r.purposes.flatMap((p) => [...register.categoriesOf(p)]),
    ),
  }));
  const fieldsOf = (pred: (f: (typeof def.categories)[number]['fields'][number]) => boolean) =>
    def.categories.flatMap((c) =>
      c.fields.filter(pred).map((f) => ({ category: c.id, field: f.id })),
    );
  const emailFields = fieldsOf((f) => f.type === 'email');
  const phoneFields = fieldsOf((f) => f.type === 'phone');
  const langFields = fieldsOf(
    (f) =>
      f.type === 'enum' &&
      (f.values ?? []).length > 0 &&
      (f.values ?? []).every((v) => (LANGS as readonly string[]).includes(v)),
  );
  const contactCategories = [
    ...new Set([...emailFields, ...phoneFields, ...langFields].map((f) => f.category)),
  ];

  const recipientsOf = async (
    actor: Actor,
    id: string,
  ): Promise<Array<{ id: string; name: string; categories: string[] }>> => {
    requireRequestHandler(actor, access.allPurposes, 'list the recipients of a person’s data');
    await access.requireSubject(db, id);
    const held = await repo.categoriesHeld(db, id);
    const out = received
      .map((r) => ({ id: r.id, name: r.name, categories: held.filter((c) => r.categories.has(c)) }))
      .filter((r) => r.categories.length > 0);
    await audit.log({ actor, action: 'subject.recipients', subjectId: id, categories: held });
    return out;
  };

  const contactOf = async (actor: Actor, id: string): Promise<PersonContact> => {
    requireRequestHandler(actor, access.allPurposes, 'read a person’s contact details');
    await access.requireSubject(db, id);
    const opened = access.codec.openRows(
      await access.keyOf(id),
      await repo.values(db, id, contactCategories),
    );
    const first = (fields: ReadonlyArray<{ category: string; field: string }>) => {
      for (const { category, field } of fields) {
        const v = opened[category]?.[field]?.value;
        if (typeof v === 'string' && v.length > 0) {
          return { value: v, at: `${category}.${field}` };
        }
      }
      return undefined;
    };
    const email = first(emailFields);
    const phone = first(phoneFields);
    const lang = first(langFields);
    const read = [email, phone, lang].flatMap((x) => (x ? [x.at] : []));
    await audit.log({
      actor,
      action: 'subject.contact',
      subjectId: id,
      categories: [...new Set(read.map((f) => f.split('.')[0] as string))],
      fields: read,
    });
    return {
      email: email?.value ?? null,
      // In international form (+358…), ready for a text message; as stored if it will not parse.
      phone: phone
        ? (normalisePhone(phone.value, def.defaultCountryCallingCode) ?? phone.value)
        : null,
      lang: (lang?.value as ContactLang | undefined) ?? null,
    };
  };

  return { recipientsOf, contactOf };
}
