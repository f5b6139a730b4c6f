/**
 * The request form: which right to use (the rights this register offers, with their
 * qualifications), the e-mail address to answer to, the language, free details, and for
 * rectification the fields the definition lets the person correct themselves. Sending it mails a
 * confirmation link; the answer is the same whether or not the address is in the register, and so
 * is the "check your mail" page that follows.
 */
import { useMutation } from '@tanstack/react-query';
import { useId, useState } from 'react';
import type { Definition, PortalRequestInput } from '../../shared/api.ts';
import { ApiError } from '../../shared/api.ts';
import { useApi } from '../../shared/api-context.tsx';
import type { Lang } from '../../shared/i18n.ts';
import { Link, useRouter } from '../../shared/router.tsx';
import {
  Alert,
  Button,
  PageHeading,
  QueryState,
  SelectField,
  TextField,
  describeError,
  type QueryLike,
} from '../../shared/ui.tsx';
import { knownText, useI18n, type I18n } from '../i18n.ts';

type RequestType = PortalRequestInput['type'];
type Change = NonNullable<PortalRequestInput['changes']>[number];
type FieldDef = Definition['categories'][number]['fields'][number];

/** The request types a right offered allows (a restriction may also be lifted). */
export function requestTypes(def: Definition): RequestType[] {
  return def.rights.offered.flatMap((r): RequestType[] =>
    r.right === 'restriction' ? ['restriction', 'restriction_lift'] : [r.right],
  );
}

/** Field types the form can take a new value for as text. */
const EDITABLE_TYPES = new Set(['text', 'email', 'phone', 'url', 'date', 'number', 'enum']);
const INPUT_TYPE: Record<string, string> = {
  email: 'email',
  phone: 'tel',
  url: 'url',
  date: 'date',
  number: 'number',
};

export function problemText(i18n: I18n, error: unknown): string {
  if (error instanceof ApiError && error.status === 429) {
    return i18n.t('request.tooMany');
  }
  return describeError(i18n, error);
}

export function RequestFormPage({ definition }: { definition: QueryLike<Definition> }) {
  const p = useI18n().t;
  return (
    <>
      <PageHeading title={p('request.heading')}>{p('request.heading')}</PageHeading>
      <p className="portal-lead">{p('request.intro')}</p>
      <QueryState query={definition}>{(def) => <RequestForm def={def} />}</QueryState>
    </>
  );
}

function RequestForm({ def }: { def: Definition }) {
  const api = useApi();
  const i18n = useI18n();
  const { loc } = i18n;
  const p = i18n.t;
  const { navigate } = useRouter();
  const ids = useId();
  const types = requestTypes(def);
  const [type, setType] = useState<RequestType | null>(null);
  const [email, setEmail] = useState('');
  const [lang, setLang] = useState<Lang>(i18n.lang);
  const [details, setDetails] = useState('');
  const [values, setValues] = useState<Record<string, string>>({});
  const [typeMissing, setTypeMissing] = useState(false);
  const qualification = new Map(def.rights.offered.map((r) => [r.right, r.qualification]));
  const editable = def.categories.flatMap((c) =>
    c.fields
      .filter((f) => f.selfEditable && EDITABLE_TYPES.has(f.type))
      .map((f) => ({ category: c.id, categoryLabel: loc(c.label, c.id), field: f })),
  );

  const submit = useMutation({
    mutationFn: (input: PortalRequestInput) => api.submitPortalRequest(input),
    onSuccess: () => navigate('/requests/sent'),
  });
  const fieldError = (field: string) =>
    submit.error instanceof ApiError ? (submit.error.fieldError(field) ?? null) : null;

  const onSubmit = (e: React.FormEvent) => {
    e.preventDefault();
    if (!type) {
      setTypeMissing(true);
      document.getElementById(`${ids}-type-0`)?.focus();
      return;
    }
    const changes: Change[] =
      type === 'rectification'
        ? Object.entries(values)
            .filter(([, v]) => v.trim() !== '')
            .map(([key, v]) => {
              const [category, field] = key.split('.') as [string, string];
              const def = editable.find((x) => x.category === category && x.field.id === field);
              return {
                category,
                field,
                value: def?.field.type === 'number' ? Number(v) : v.trim(),
              };
            })
        : [];
    submit.mutate({
      type,
      email: email.trim(),
      lang,
      ...(details.trim() ? { details: details.trim() } : {}),
      ...(changes.length > 0 ? { changes } : {}),
    });
  };

  const legendId = `${ids}-legend`;
  return (
    <form className="stack request-form" onSubmit={onSubmit} noValidate>
      {submit.error ? <Alert>{problemText(i18n, submit.error)}</Alert> : null}
      <fieldset
        className={typeMissing && !type ? 'choices field-invalid' : 'choices'}
        aria-describedby={typeMissing && !type ? `${ids}-type-error` : undefined}
      >
        <legend id={legendId}>{p('request.type')}</legend>
        {types.map((t, i) => {
          const right = t === 'restriction_lift' ? 'restriction' : t;
          const q = t === 'restriction_lift' ? undefined : qualification.get(right);
          return (
            <div className="choice" key={t}>
              <input
                type="radio"
                name="type"
                id={`${ids}-type-${i}`}
                value={t}
                checked={type === t}
                onChange={() => setType(t)}
                aria-describedby={`${ids}-type-${i}-hint`}
              />
              <label htmlFor={`${ids}-type-${i}`}>
                <strong>{knownText(i18n, 'requestType', t)}</strong>
                <span className="field-hint" id={`${ids}-type-${i}-hint`}>
                  {knownText(i18n, 'requestTypeHint', t)}
                  {q ? ` ${loc(q)}` : ''}
                </span>
              </label>
            </div>
          );
        })}
        {typeMissing && !type ? (
          <p className="field-error" id={`${ids}-type-error`}>
            {p('request.typeMissing')}
          </p>
        ) : null}
      </fieldset>

      <TextField
        label={p('request.email')}
        hint={p('request.emailHint')}
        type="email"
        autoComplete="email"
        required
        value={email}
        onChange={(e) => setEmail(e.target.value)}
        error={fieldError('email')}
      />
      <SelectField
        label={p('request.lang')}
        value={lang}
        onChange={(e) => setLang(e.target.value as Lang)}
        error={fieldError('lang')}
      >
        <option value="fi">Suomi</option>
        <option value="sv">Svenska</option>
        <option value="en">English</option>
      </SelectField>

      {type === 'rectification' && editable.length > 0 ? (
        <fieldset className="choices">
          <legend>{p('request.changes')}</legend>
          <p className="field-hint">{p('request.changesHint')}</p>
          {editable.map(({ category, categoryLabel, field }) => (
            <ChangeField
              key={`${category}.${field.id}`}
              category={categoryLabel}
              field={field}
              value={values[`${category}.${field.id}`] ?? ''}
              onChange={(v) => setValues((old) => ({ ...old, [`${category}.${field.id}`]: v }))}
            />
          ))}
        </fieldset>
      ) : null}

      <div className={fieldError('details') ? 'field field-invalid' : 'field'}>
        <label htmlFor={`${ids}-details`}>{p('request.details')}</label>
        <p className="field-hint" id={`${ids}-details-hint`}>
          {type === 'rectification'
            ? p('request.detailsHintRectification')
            : p('request.detailsHint')}
        </p>
        <textarea
          id={`${ids}-details`}
          rows={5}
          maxLength={4000}
          value={details}
          onChange={(e) => setDetails(e.target.value)}
          aria-describedby={`${ids}-details-hint`}
        />
        {fieldError('details') ? <p className="field-error">{fieldError('details')}</p> : null}
      </div>

      <p className="muted">{p('request.privacy')}</p>
      <div className="row-actions">
        <Button type="submit" busy={submit.isPending}>
          {p('request.send')}
        </Button>
        <Link to="/">{p('request.back')}</Link>
      </div>
    </form>
  );
}

function ChangeField({
  category,
  field,
  value,
  onChange,
}: {
  category: string;
  field: FieldDef;
  value: string;
  onChange: (v: string) => void;
}) {
  const { loc } = useI18n();
  return (
    <TextField
      label={`${loc(field.label, field.id)} (${category})`}
      type={INPUT_TYPE[field.type] ?? 'text'}
      value={value}
      onChange={(e) => onChange(e.target.value)}
    />
  );
}

/** After sending: the same words whoever the address belongs to. */
export function RequestSentPage() {
  const p = useI18n().t;
  return (
    <>
      <PageHeading title={p('sent.heading')}>{p('sent.heading')}</PageHeading>
      <p className="portal-lead">{p('sent.body')}</p>
      <ul className="portal-list">
        <li>{p('sent.valid')}</li>
        <li>{p('sent.clock')}</li>
        <li>{p('sent.nothing')}</li>
      </ul>
      <p>
        <Link to="/">{p('request.back')}</Link>
      </p>
    </>
  );
}
