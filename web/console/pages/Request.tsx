/**
 * One request, for roles that handle requests: what was asked and by whom, the identity proof
 * (its kind, the document type checked and by whom; never a number), the due date and the
 * original one, the timeline of its steps, and the actions its state allows — record the proof,
 * link the person, extend, refuse, cancel, complete, and record each recipient told (Art. 19).
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import type { ReactNode } from 'react';
import { ApiError, DELIVERY_HOW, DOCUMENT_TYPES, LETTER_HOW, TOLD_HOW } from '../../shared/api.ts';
import type {
  DeliveryHow,
  Definition,
  DocumentType,
  IdentityProof,
  LetterHow,
  RequestCompletion,
  RequestLetter,
  RequestedChange,
  RequestView,
  ToldHow,
} from '../../shared/api.ts';
import { useApi } from '../../shared/api-context.tsx';
import { LANGUAGE_NAMES } from '../../shared/i18n.ts';
import { detectCriterion, formatValue, personSummary } from '../../shared/format.ts';
import { useI18n } from '../i18n.ts';
import type { I18n } from '../i18n.ts';
import { Link, withQuery } from '../../shared/router.tsx';
import {
  Alert,
  Badge,
  Button,
  DataTable,
  PageHeading,
  QueryState,
  SelectField,
  TextAreaField,
  TextField,
  type Column,
  describeError,
  useAnnounce,
} from '../../shared/ui.tsx';
import { pickPurpose, useReadablePurposes } from '../purpose.tsx';
import {
  channelLabel,
  dayText,
  daysLeft,
  documentLabel,
  helsinkiToday,
  isOpen,
  letterHowLabel,
  proofLabel,
  stepLabel,
  toldHowLabel,
  typeLabel,
} from '../requests.ts';
import { useDefinition, useSession } from '../session.tsx';
import { DueCell, StateBadge } from './Requests.tsx';

/** The reasons given along the way, each under its form's own label. */
const REASONS = [
  ['extend', 'extend.reason'],
  ['refuse', 'refuse.reason'],
  ['cancel', 'cancel.reason'],
  ['complete', 'complete.reasonRestriction'],
] as const;

function readError(i18n: I18n, error: unknown): string | null {
  return error instanceof ApiError && error.status === 404 ? i18n.t('request.notFound') : null;
}

/** The server's word on a field, or the first problem it named, or any other failure. */
function useErrors(error: unknown) {
  const i18n = useI18n();
  const field = (f: string) => (error instanceof ApiError ? (error.fieldError(f) ?? null) : null);
  const general =
    error && !(error instanceof ApiError && (error.problem.errors?.length ?? 0) > 0)
      ? describeError(i18n, error)
      : null;
  return { field, general };
}

export function RequestPage({ id }: { id: string }) {
  const api = useApi();
  const i18n = useI18n();
  const { t } = i18n;
  const definition = useDefinition();
  const request = useQuery({
    queryKey: ['request', id],
    queryFn: () => api.getRequest(id),
    staleTime: 0,
  });
  const title = request.data
    ? t('request.title', { type: typeLabel(i18n, request.data.type) })
    : t('request.titlePlain');

  return (
    <section className="page">
      <p className="breadcrumb">
        <Link to="/requests">{t('requests.title')}</Link>
      </p>
      <PageHeading title={title}>
        {title}
        {request.data ? (
          <>
            {' '}
            <StateBadge state={request.data.state} />
          </>
        ) : null}
      </PageHeading>
      <QueryState query={request} knownError={(e) => readError(i18n, e)}>
        {(r) => <RequestBody request={r} def={definition.data} />}
      </QueryState>
    </section>
  );
}

function RequestBody({ request: r, def }: { request: RequestView; def: Definition | undefined }) {
  const i18n = useI18n();
  const { t } = i18n;
  const purposes = useReadablePurposes(def);
  const purpose = pickPurpose(purposes, null);
  const actorText = useActorText();
  const open = isOpen(r.state);
  const identityDone = r.identityProvenAt !== null;

  return (
    <>
      <dl className="facts card request-facts">
        <Fact term={t('col.channel')}>{channelLabel(i18n, r.channel)}</Fact>
        <Fact term={t('col.received')}>{i18n.dateTime(r.receivedAt)}</Fact>
        <Fact term={t('request.lang')}>
          <span lang={r.lang}>{LANGUAGE_NAMES[r.lang]}</span>
        </Fact>
        <Fact term={t('col.due')}>
          <DueCell request={r} today={helsinkiToday()} />
        </Fact>
        {r.originalDueOn && r.originalDueOn !== r.dueOn ? (
          <Fact term={t('request.originalDue')}>{dayText(i18n, r.originalDueOn)}</Fact>
        ) : null}
        <Fact term={t('col.extended')}>{r.extended ? t('common.yes') : t('common.no')}</Fact>
        {r.closedAt ? <Fact term={t('request.closed')}>{i18n.dateTime(r.closedAt)}</Fact> : null}
        <Fact term={t('request.person')}>
          {r.subjectId ? (
            <Link
              to={withQuery(`/people/${encodeURIComponent(r.subjectId)}`, { purpose: purpose?.id })}
              className="mono"
            >
              {r.subjectId}
            </Link>
          ) : (
            t('request.personUnknown')
          )}
        </Fact>
      </dl>

      <div className="two-col">
        <section className="card" aria-labelledby="request-contact">
          <h2 id="request-contact">{t('request.asked')}</h2>
          <dl className="facts">
            <Fact term={t('intake.name')}>{r.contact.name ?? '—'}</Fact>
            <Fact term={t('intake.email')}>{r.contact.email ?? '—'}</Fact>
            <Fact term={t('intake.phone')}>{r.contact.phone ?? '—'}</Fact>
            <Fact term={t('intake.address')}>
              {r.contact.address
                ? [
                    r.contact.address.street,
                    `${r.contact.address.postalCode} ${r.contact.address.city}`,
                    r.contact.address.country ?? '',
                  ]
                    .filter((x) => x)
                    .join(', ')
                : '—'}
            </Fact>
          </dl>
          <ContactForm request={r} />
          {r.details ? <p className="pre-line">{r.details}</p> : null}
          {r.changes.length > 0 ? <Changes changes={r.changes} def={def} /> : null}
          {REASONS.map(([step, label]) =>
            r.reasons[step] ? (
              <p key={step} className="pre-line">
                <strong>{t(label)}:</strong> {r.reasons[step]}
              </p>
            ) : null,
          )}
          {r.compellingGrounds.length > 0 ? (
            <>
              <h3>{t('complete.grounds')}</h3>
              <ul>
                {r.compellingGrounds.map((g) => (
                  <li key={g.purpose}>
                    {i18n.loc(def?.purposes.find((p) => p.id === g.purpose)?.label, g.purpose)}:{' '}
                    {g.reason}
                  </li>
                ))}
              </ul>
            </>
          ) : null}
          {r.downloadUntil ? (
            <p>{t('request.downloadUntil', { time: i18n.dateTime(r.downloadUntil) })}</p>
          ) : null}
        </section>

        <section className="card" aria-labelledby="request-identity">
          <h2 id="request-identity">{t('identity.title')}</h2>
          <dl className="facts">
            <Fact term={t('identity.proof')}>
              {r.identity.proof ? proofLabel(i18n, r.identity.proof) : t('identity.notYet')}
            </Fact>
            {r.identity.documentType ? (
              <Fact term={t('identity.documentType')}>
                {documentLabel(i18n, r.identity.documentType)}
              </Fact>
            ) : null}
            {r.identity.checkedBy ? (
              <Fact term={t('identity.checkedBy')}>{actorText(r.identity.checkedBy)}</Fact>
            ) : null}
            {r.identityProvenAt ? (
              <Fact term={t('identity.provenAt')}>{i18n.dateTime(r.identityProvenAt)}</Fact>
            ) : null}
          </dl>
          {r.identity.accepted.length > 0 ? (
            <p className="small muted">
              {t('identity.accepted', {
                proofs: i18n.list(r.identity.accepted.map((p) => proofLabel(i18n, p))),
              })}
            </p>
          ) : null}
          {open && !identityDone ? <IdentityForm request={r} /> : null}
        </section>
      </div>

      {r.delivery ? <Delivery request={r} /> : null}

      {r.letters.length > 0 ? <Letters request={r} /> : null}

      {open ? (
        <>
          <h2>{t('request.actions')}</h2>
          {!r.subjectId ? <LinkPerson request={r} purpose={purpose?.id ?? null} /> : null}
          {identityDone ? <Complete request={r} def={def} /> : null}
          {identityDone && r.dueOn && !r.extended ? <Extend request={r} /> : null}
          <Refuse request={r} def={def} />
          <Cancel request={r} />
        </>
      ) : null}

      {r.type === 'erasure' && r.state === 'completed' ? (
        <HeldAfterErasure request={r} def={def} />
      ) : null}

      {TELL_RECIPIENTS.has(r.type) && (open || r.state === 'completed') ? (
        <RecipientsTold request={r} def={def} />
      ) : null}

      <h2 id="request-timeline">{t('request.timeline')}</h2>
      <ol className="timeline" aria-labelledby="request-timeline">
        {r.events.map((e) => (
          <li key={e.seq}>
            <span className="timeline-step">{stepLabel(i18n, e.step)}</span>{' '}
            <span className="muted">
              {t('request.byAt', { actor: actorText(e.actor), time: i18n.dateTime(e.at) })}
            </span>
          </li>
        ))}
      </ol>
    </>
  );
}

/** Who acted, as `kind:id`, in words: "you (Astrid Admin)", "staff member 0193…", "the person". */
function useActorText(): (actor: string) => string {
  const { t } = useI18n();
  const me = useSession();
  return (actor) => {
    const [kind = '', ...rest] = actor.split(':');
    const id = rest.join(':');
    const short = id.length > 13 ? `${id.slice(0, 8)}…` : id;
    switch (kind) {
      case 'staff':
        return id === me.staff.id
          ? t('actor.you', { name: me.staff.displayName })
          : t('actor.staff', { id: short });
      case 'api_key':
        return t('actor.apiKey', { id: short });
      case 'system':
        return t('actor.system');
      case 'operator':
        return t('actor.operator');
      case 'subject':
      case 'portal':
        return t('actor.person');
      default:
        return actor;
    }
  };
}

function Fact({ term, children }: { term: string; children: ReactNode }) {
  return (
    <div>
      <dt>{term}</dt>
      <dd>{children}</dd>
    </div>
  );
}

function Changes({ changes, def }: { changes: RequestedChange[]; def: Definition | undefined }) {
  const i18n = useI18n();
  const { t, loc } = i18n;
  const columns: Column<RequestedChange>[] = [
    {
      id: 'field',
      header: t('col.field'),
      cell: (c) => {
        const category = def?.categories.find((x) => x.id === c.category);
        const field = category?.fields.find((f) => f.id === c.field);
        return `${loc(category?.label, c.category)} › ${loc(field?.label, c.field)}`;
      },
    },
    { id: 'value', header: t('col.new'), cell: (c) => formatValue(i18n, c.value) },
  ];
  return (
    <DataTable
      label={t('request.changes')}
      columns={columns}
      rows={changes}
      rowKey={(c) => `${c.category}.${c.field}`}
    />
  );
}

/** Runs one action on the request and puts the answer in the cache. */
function useRequestAction<V>(
  request: RequestView,
  fn: (v: V) => Promise<unknown>,
  done: string,
  keepFocus?: boolean,
) {
  const queryClient = useQueryClient();
  const announce = useAnnounce();
  return useMutation({
    mutationFn: fn,
    onSuccess: async () => {
      announce(done);
      // The actions answer the summary; the page reads the request in full again.
      await queryClient.invalidateQueries({ queryKey: ['requests'] });
      await queryClient.invalidateQueries({ queryKey: ['request', request.id] });
      // The form that had focus may be gone with the new state: start again from the heading,
      // which names the new state. Recording a recipient keeps focus in its list.
      if (keepFocus !== true) {
        document.querySelector<HTMLElement>('h1.page-heading')?.focus();
      }
    },
  });
}

const PROOFS: IdentityProof[] = ['email_link', 'signed_letter', 'photo_id', 'strong_eid'];

function IdentityForm({ request }: { request: RequestView }) {
  const api = useApi();
  const i18n = useI18n();
  const { t } = i18n;
  const ordered = [
    ...request.identity.accepted,
    ...PROOFS.filter((p) => !request.identity.accepted.includes(p)),
  ];
  const [proof, setProof] = useState<IdentityProof>(ordered[0] ?? 'photo_id');
  const [documentType, setDocumentType] = useState<DocumentType | ''>('');
  const [checked, setChecked] = useState(false);
  const prove = useRequestAction(
    request,
    (body: { proof: IdentityProof; documentType?: DocumentType }) =>
      api.proveIdentity(request.id, body),
    t('identity.recorded'),
  );
  const errors = useErrors(prove.error);
  const needsDocument = proof === 'photo_id';
  const missing = needsDocument && !documentType;
  return (
    <form
      className="stack"
      noValidate
      aria-labelledby="identity-form-title"
      onSubmit={(e) => {
        e.preventDefault();
        setChecked(true);
        if (!missing) {
          prove.mutate(documentType && needsDocument ? { proof, documentType } : { proof });
        }
      }}
    >
      <h3 id="identity-form-title">{t('identity.record')}</h3>
      {errors.general ? <Alert>{errors.general}</Alert> : null}
      <SelectField
        id="identity-proof"
        label={t('identity.proof')}
        value={proof}
        error={errors.field('proof')}
        onChange={(e) => setProof(e.target.value as IdentityProof)}
      >
        {ordered.map((p) => (
          <option key={p} value={p}>
            {proofLabel(i18n, p)}
          </option>
        ))}
      </SelectField>
      {needsDocument ? (
        <SelectField
          id="identity-document"
          label={t('identity.documentType')}
          hint={t('identity.noNumber')}
          value={documentType}
          error={
            (checked && missing ? t('identity.documentMissing') : null) ??
            errors.field('documentType')
          }
          onChange={(e) => setDocumentType(e.target.value as DocumentType | '')}
        >
          <option value="">{t('identity.documentChoose')}</option>
          {DOCUMENT_TYPES.map((d) => (
            <option key={d} value={d}>
              {documentLabel(i18n, d)}
            </option>
          ))}
        </SelectField>
      ) : null}
      <div>
        <Button type="submit" busy={prove.isPending}>
          {t('identity.submit')}
        </Button>
      </div>
    </form>
  );
}

function LinkPerson({ request, purpose }: { request: RequestView; purpose: string | null }) {
  const api = useApi();
  const i18n = useI18n();
  const { t } = i18n;
  const definition = useDefinition();
  const [input, setInput] = useState(request.contact.email ?? request.contact.phone ?? '');
  const [asked, setAsked] = useState<{ email: string } | { phone: string } | null>(null);
  const [invalid, setInvalid] = useState(false);
  const found = useQuery({
    queryKey: ['request-person-search', asked, purpose],
    queryFn: () => api.findSubjects({ purpose: purpose ?? '', ...asked, limit: 10 }),
    enabled: asked !== null && purpose !== null,
  });
  const link = useRequestAction(
    request,
    (subjectId: string) => api.linkRequestSubject(request.id, subjectId),
    t('link.done'),
  );
  const errors = useErrors(link.error);
  return (
    <section className="card stack" aria-labelledby="link-title">
      <h3 id="link-title">{t('link.title')}</h3>
      <p className="muted small">{t('link.intro')}</p>
      <form
        className="search-row"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          const c = detectCriterion(input);
          if (c && ('email' in c || 'phone' in c)) {
            setInvalid(false);
            setAsked(c);
          } else {
            setInvalid(true);
          }
        }}
      >
        <TextField
          id="link-search"
          label={t('link.search')}
          autoComplete="off"
          spellCheck={false}
          value={input}
          error={invalid ? t('link.searchInvalid') : null}
          onChange={(e) => setInput(e.target.value)}
        />
        <Button type="submit" variant="secondary">
          {t('search.submit')}
        </Button>
      </form>
      {errors.general ? <Alert>{errors.general}</Alert> : null}
      {errors.field('subjectId') ? <Alert>{errors.field('subjectId')}</Alert> : null}
      {asked ? (
        <QueryState query={found} isEmpty={(f) => f.items.length === 0} empty={t('search.none')}>
          {(f) => (
            <ul className="plain-list">
              {f.items.map((s) => {
                const summary = definition.data ? personSummary(s, definition.data) : null;
                const name = summary?.name ?? s.id;
                return (
                  <li key={s.id} className="row">
                    <span>
                      {name}
                      {summary?.email ? <span className="muted"> · {summary.email}</span> : null}
                    </span>
                    <Button
                      variant="secondary"
                      busy={link.isPending}
                      aria-label={t('link.linkTo', { name })}
                      onClick={() => link.mutate(s.id)}
                    >
                      {t('link.link')}
                    </Button>
                  </li>
                );
              })}
            </ul>
          )}
        </QueryState>
      ) : null}
    </section>
  );
}

function ReasonForm({
  id,
  title,
  intro,
  reasonLabel,
  submitLabel,
  variant,
  busy,
  error,
  onSubmit,
  children,
}: {
  id: string;
  title: string;
  intro?: ReactNode;
  reasonLabel: string;
  submitLabel: string;
  variant: 'primary' | 'secondary' | 'danger';
  busy: boolean;
  error: unknown;
  onSubmit: (reason: string) => void;
  children?: ReactNode;
}) {
  const i18n = useI18n();
  const { t } = i18n;
  const [reason, setReason] = useState('');
  const [checked, setChecked] = useState(false);
  const errors = useErrors(error);
  const missing = !reason.trim();
  return (
    <form
      className="card stack"
      noValidate
      aria-labelledby={`${id}-title`}
      onSubmit={(e) => {
        e.preventDefault();
        setChecked(true);
        if (!missing) {
          onSubmit(reason.trim());
        }
      }}
    >
      <h3 id={`${id}-title`}>{title}</h3>
      {intro}
      {errors.general ? <Alert>{errors.general}</Alert> : null}
      {children}
      <TextAreaField
        id={`${id}-reason`}
        label={reasonLabel}
        rows={2}
        required
        value={reason}
        error={(checked && missing ? t('request.reasonMissing') : null) ?? errors.field('reason')}
        onChange={(e) => setReason(e.target.value)}
      />
      <div>
        <Button type="submit" variant={variant} busy={busy}>
          {submitLabel}
        </Button>
      </div>
    </form>
  );
}

function Extend({ request }: { request: RequestView }) {
  const api = useApi();
  const i18n = useI18n();
  const { t } = i18n;
  const [months, setMonths] = useState<1 | 2>(1);
  const extend = useRequestAction(
    request,
    (reason: string) => api.extendRequest(request.id, { months, reason }),
    t('extend.done'),
  );
  const errors = useErrors(extend.error);
  const first = request.originalDueOn ?? request.dueOn;
  if (first && daysLeft(first) < 0) {
    return <Alert kind="info">{t('extend.tooLate')}</Alert>;
  }
  return (
    <ReasonForm
      id="extend"
      title={t('extend.title')}
      intro={<p className="muted small">{t('extend.intro')}</p>}
      reasonLabel={t('extend.reason')}
      submitLabel={t('extend.submit')}
      variant="secondary"
      busy={extend.isPending}
      error={extend.error}
      onSubmit={(reason) => extend.mutate(reason)}
    >
      <fieldset className="fieldset">
        <legend>{t('extend.months')}</legend>
        {errors.field('months') ? <p className="field-error">{errors.field('months')}</p> : null}
        <div className="row">
          {([1, 2] as const).map((m) => (
            <label key={m} className="radio">
              <input
                type="radio"
                name="extend-months"
                value={m}
                checked={months === m}
                onChange={() => setMonths(m)}
              />{' '}
              {t('extend.monthsOption', { count: m })}
            </label>
          ))}
        </div>
      </fieldset>
    </ReasonForm>
  );
}

function Refuse({ request, def }: { request: RequestView; def: Definition | undefined }) {
  const api = useApi();
  const i18n = useI18n();
  const { t } = i18n;
  const refuse = useRequestAction(
    request,
    (reason: string) => api.refuseRequest(request.id, { reason }),
    t('refuse.done'),
  );
  const authority = def?.supervisoryAuthority;
  return (
    <ReasonForm
      id="refuse"
      title={t('refuse.title')}
      intro={
        <p className="muted small">
          {authority
            ? t('refuse.authority', { authority: i18n.loc(authority.name) })
            : t('refuse.authorityUnknown')}
        </p>
      }
      reasonLabel={t('refuse.reason')}
      submitLabel={t('refuse.submit')}
      variant="danger"
      busy={refuse.isPending}
      error={refuse.error}
      onSubmit={(reason) => refuse.mutate(reason)}
    />
  );
}

function Cancel({ request }: { request: RequestView }) {
  const api = useApi();
  const { t } = useI18n();
  const cancel = useRequestAction(
    request,
    (reason: string) => api.cancelRequest(request.id, { reason }),
    t('cancel.done'),
  );
  return (
    <ReasonForm
      id="cancel"
      title={t('cancel.title')}
      intro={<p className="muted small">{t('cancel.intro')}</p>}
      reasonLabel={t('cancel.reason')}
      submitLabel={t('cancel.submit')}
      variant="secondary"
      busy={cancel.isPending}
      error={cancel.error}
      onSubmit={(reason) => cancel.mutate(reason)}
    />
  );
}

interface ChangeRow {
  key: number;
  target: string;
  value: string;
}

/** A field's error whether the server wrote `changes[0].field` or `changes.0.field`. */
function indexed(errors: ReturnType<typeof useErrors>, list: string, i: number, leaf?: string) {
  const tail = leaf ? `.${leaf}` : '';
  return errors.field(`${list}[${i}]${tail}`) ?? errors.field(`${list}.${i}${tail}`);
}

function Complete({ request, def }: { request: RequestView; def: Definition | undefined }) {
  const api = useApi();
  const i18n = useI18n();
  const { t, loc } = i18n;
  const me = useSession();
  const complete = useRequestAction(
    request,
    (body: RequestCompletion) => api.completeRequest(request.id, body),
    t('complete.done'),
  );
  const errors = useErrors(complete.error);
  const writable =
    def?.purposes.filter((p) => me.role.write.includes('*') || me.role.write.includes(p.id)) ?? [];
  const [purpose, setPurpose] = useState(writable[0]?.id ?? '');
  const sources = def?.sources ?? [];
  const [source, setSource] = useState(
    sources.find((s) => s.id === 'subject')?.id ?? sources[0]?.id ?? '',
  );
  const [reason, setReason] = useState('');
  const [checked, setChecked] = useState(false);
  const [rows, setRows] = useState<ChangeRow[]>(() =>
    request.changes.map((c, i) => ({
      key: i,
      target: `${c.category}.${c.field}`,
      value: typeof c.value === 'string' ? c.value : JSON.stringify(c.value),
    })),
  );
  const [grounds, setGrounds] = useState<Record<string, string>>({});
  const type = request.type;
  // No e-mail address for the portal's download link: the printed copy is posted or handed over.
  const needsDelivery = (type === 'access' || type === 'portability') && !request.contact.email;
  const [delivery, setDelivery] = useState<DeliveryHow>(
    request.contact.address ? 'post' : 'handed_over',
  );
  const fields =
    def?.categories.flatMap((c) =>
      c.fields.map((f) => ({
        id: `${c.id}.${f.id}`,
        type: f.type,
        label: `${loc(c.label, c.id)} › ${loc(f.label, f.id)}`,
      })),
    ) ?? [];
  const legitimate = def?.purposes.filter((p) => p.legalBasis === 'legitimate_interest') ?? [];
  const reasonNeeded = type === 'restriction';
  const noChanges = type === 'rectification' && rows.filter((r) => r.target).length === 0;
  const missing = (reasonNeeded && !reason.trim()) || noChanges;

  // Each type sends only what completing it uses: the server refuses anything else.
  const body = (): RequestCompletion => {
    if (needsDelivery) {
      return { delivery };
    }
    if (type === 'restriction') {
      return { reason: reason.trim() };
    }
    if (type === 'rectification') {
      return {
        purpose,
        source,
        changes: rows
          .filter((r) => r.target)
          .map((r) => {
            const [category = '', field = ''] = r.target.split('.');
            const f = fields.find((x) => x.id === r.target);
            const value: string | number | boolean | null =
              r.value === ''
                ? null
                : f?.type === 'number' || f?.type === 'integer'
                  ? Number(r.value)
                  : f?.type === 'boolean'
                    ? r.value === 'true'
                    : r.value;
            return { category, field, value };
          }),
      };
    }
    if (type === 'objection') {
      const list = Object.entries(grounds)
        .filter(([, g]) => g.trim())
        .map(([p, g]) => ({ purpose: p, reason: g.trim() }));
      return list.length > 0 ? { compellingGrounds: list } : {};
    }
    return {};
  };

  return (
    <form
      className="card stack"
      noValidate
      aria-labelledby="complete-title"
      onSubmit={(e) => {
        e.preventDefault();
        setChecked(true);
        if (!missing) {
          complete.mutate(body());
        }
      }}
    >
      <h3 id="complete-title">{t('complete.title')}</h3>
      <p className="muted small">{t(`complete.intro.${type}` as 'complete.intro.access')}</p>
      {errors.general ? <Alert>{errors.general}</Alert> : null}
      {errors.field('subjectId') ? <Alert>{errors.field('subjectId')}</Alert> : null}
      {errors.field('state') ? <Alert>{errors.field('state')}</Alert> : null}

      {type === 'rectification' ? (
        <>
          <div className="grid-3">
            <SelectField
              id="complete-purpose"
              label={t('complete.purpose')}
              value={purpose}
              error={errors.field('purpose')}
              onChange={(e) => setPurpose(e.target.value)}
            >
              {writable.map((p) => (
                <option key={p.id} value={p.id}>
                  {loc(p.label, p.id)}
                </option>
              ))}
            </SelectField>
            <SelectField
              id="complete-source"
              label={t('complete.source')}
              value={source}
              error={errors.field('source')}
              onChange={(e) => setSource(e.target.value)}
            >
              {sources.map((s) => (
                <option key={s.id} value={s.id}>
                  {loc(s.label, s.id)}
                </option>
              ))}
            </SelectField>
          </div>
          <fieldset className="fieldset">
            <legend>{t('request.changes')}</legend>
            {checked && noChanges ? (
              <p className="field-error">{t('complete.changesMissing')}</p>
            ) : null}
            {errors.field('changes') ? (
              <p className="field-error">{errors.field('changes')}</p>
            ) : null}
            {rows.map((row, i) => (
              <div key={row.key} className="grid-3 change-row">
                <SelectField
                  id={`change-field-${row.key}`}
                  label={t('complete.changeField', { n: i + 1 })}
                  value={row.target}
                  error={indexed(errors, 'changes', i, 'field') ?? indexed(errors, 'changes', i)}
                  onChange={(e) =>
                    setRows(
                      rows.map((r) => (r.key === row.key ? { ...r, target: e.target.value } : r)),
                    )
                  }
                >
                  <option value="">{t('complete.chooseField')}</option>
                  {fields.map((f) => (
                    <option key={f.id} value={f.id}>
                      {f.label}
                    </option>
                  ))}
                </SelectField>
                <TextField
                  id={`change-value-${row.key}`}
                  label={t('complete.changeValue', { n: i + 1 })}
                  value={row.value}
                  error={indexed(errors, 'changes', i, 'value')}
                  onChange={(e) =>
                    setRows(
                      rows.map((r) => (r.key === row.key ? { ...r, value: e.target.value } : r)),
                    )
                  }
                />
                <div className="field-end">
                  <Button
                    variant="link"
                    onClick={() => setRows(rows.filter((r) => r.key !== row.key))}
                  >
                    {t('complete.removeChange', { n: i + 1 })}
                  </Button>
                </div>
              </div>
            ))}
            <div>
              <Button
                variant="secondary"
                onClick={() =>
                  setRows([
                    ...rows,
                    { key: Math.max(0, ...rows.map((r) => r.key + 1)), target: '', value: '' },
                  ])
                }
              >
                {t('complete.addChange')}
              </Button>
            </div>
          </fieldset>
        </>
      ) : null}

      {type === 'objection' ? (
        <fieldset className="fieldset">
          <legend>{t('complete.grounds')}</legend>
          <p className="field-hint">{t('complete.groundsHint')}</p>
          {errors.field('compellingGrounds') ? (
            <p className="field-error">{errors.field('compellingGrounds')}</p>
          ) : null}
          {legitimate.length === 0 ? <p>{t('complete.noLegitimate')}</p> : null}
          {legitimate.map((p, i) => (
            <TextAreaField
              key={p.id}
              id={`grounds-${p.id}`}
              label={t('complete.groundsFor', { purpose: loc(p.label, p.id) })}
              rows={2}
              value={grounds[p.id] ?? ''}
              error={
                indexed(errors, 'compellingGrounds', i, 'reason') ??
                indexed(errors, 'compellingGrounds', i, 'purpose')
              }
              onChange={(e) => setGrounds({ ...grounds, [p.id]: e.target.value })}
            />
          ))}
        </fieldset>
      ) : null}

      {needsDelivery ? (
        <>
          <SelectField
            id="complete-delivery"
            label={t('complete.delivery')}
            value={delivery}
            error={
              errors.field('delivery') ?? errors.field('address') ?? errors.field('email') ?? null
            }
            onChange={(e) => setDelivery(e.target.value as DeliveryHow)}
          >
            {DELIVERY_HOW.map((h) => (
              <option key={h} value={h}>
                {t(`delivery.how.${h}`)}
              </option>
            ))}
          </SelectField>
          <p className="field-hint">{t('complete.deliveryHint')}</p>
        </>
      ) : null}
      {errors.general ? <Alert>{errors.general}</Alert> : null}

      {reasonNeeded ? (
        <TextAreaField
          id="complete-reason"
          label={t('complete.reasonRestriction')}
          rows={2}
          required
          value={reason}
          error={
            (checked && !reason.trim() ? t('request.reasonMissing') : null) ??
            errors.field('reason')
          }
          onChange={(e) => setReason(e.target.value)}
        />
      ) : null}
      <div>
        <Button type="submit" busy={complete.isPending}>
          {t('complete.submit')}
        </Button>
      </div>
    </form>
  );
}

/** One legal hold's keeping after an erasure, as the completion recorded it. */
interface HeldEntry {
  hold: string;
  law: string;
  purpose: string;
  categories: string[];
  until: string;
}

function heldEntries(value: unknown): HeldEntry[] {
  if (!Array.isArray(value)) {
    return [];
  }
  return value.filter(
    (h): h is HeldEntry =>
      typeof h === 'object' &&
      h !== null &&
      typeof (h as HeldEntry).hold === 'string' &&
      typeof (h as HeldEntry).law === 'string' &&
      typeof (h as HeldEntry).until === 'string' &&
      Array.isArray((h as HeldEntry).categories),
  );
}

/**
 * What the legal holds keep of the person after the erasure: each hold with its law, the
 * categories kept, the one purpose they stay readable for, and the last day they are kept.
 */
function HeldAfterErasure({ request, def }: { request: RequestView; def: Definition | undefined }) {
  const i18n = useI18n();
  const { t, loc } = i18n;
  const completed = request.events.find((e) => e.step === 'completed');
  const held = heldEntries(completed?.data.holds);
  const categoryName = (id: string) => loc(def?.categories.find((c) => c.id === id)?.label, id);
  const purposeName = (id: string) => loc(def?.purposes.find((p) => p.id === id)?.label, id);
  return (
    <section aria-labelledby="held-title" className="held">
      <h2 id="held-title">{t('held.title')}</h2>
      {held.length === 0 ? (
        <p>{t('held.none')}</p>
      ) : (
        <>
          <p className="muted small">{t('held.intro')}</p>
          <ul className="plain-list held-list">
            {held.map((h) => (
              <li key={h.hold} className="card" data-hold={h.hold}>
                <h3>
                  <code>{h.hold}</code>
                </h3>
                <dl className="facts">
                  <Fact term={t('held.law')}>{h.law}</Fact>
                  <Fact term={t('held.categories')}>
                    {i18n.list(h.categories.map(categoryName))}
                  </Fact>
                  <Fact term={t('held.purpose')}>{purposeName(h.purpose)}</Fact>
                  <Fact term={t('held.until')}>
                    <span data-until={h.until}>{dayText(i18n, h.until)}</span>
                  </Fact>
                </dl>
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}

/** Types whose outcome each recipient of the person's data must be told (Art. 19). */
const TELL_RECIPIENTS = new Set(['rectification', 'erasure', 'restriction']);

/**
 * The recipients to tell: those the server listed when it completed the request (the definition's
 * recipients that received the person's data), each told or with a form to record it.
 */
function RecipientsTold({ request, def }: { request: RequestView; def: Definition | undefined }) {
  const i18n = useI18n();
  const { t } = i18n;
  const actorText = useActorText();
  const completed = request.events.find((e) => e.step === 'completed');
  const listed = completed?.data.recipients;
  const ids = Array.isArray(listed) ? listed.filter((x): x is string => typeof x === 'string') : [];
  const told = new Map(request.recipients.map((r) => [r.recipientId, r]));
  // Any recipient already recorded stays shown, listed or not.
  const all = [...new Set([...ids, ...told.keys()])];
  const nameOf = (id: string) => {
    const name = def?.recipients.find((r) => r.id === id)?.name;
    // In the language of the console (a proper name is the same in all).
    return name === undefined ? id : typeof name === 'string' ? name : i18n.loc(name, id);
  };
  return (
    <section aria-labelledby="recipients-title">
      <h2 id="recipients-title">{t('recipients.title')}</h2>
      <p className="muted small">{t('recipients.intro')}</p>
      {!completed ? <p>{t('recipients.afterCompletion')}</p> : null}
      {completed && all.length === 0 ? <p>{t('recipients.none')}</p> : null}
      <ul className="plain-list recipients">
        {all.map((id) => {
          const done = told.get(id);
          const name = nameOf(id);
          return (
            <li key={id} className="card">
              <h3>{name}</h3>
              {done ? (
                <p>
                  <Badge kind="success">{t('recipients.told')}</Badge>{' '}
                  {t('recipients.toldWhen', {
                    time: i18n.dateTime(done.toldAt),
                    how: toldHowLabel(i18n, done.how),
                    by: actorText(done.recordedBy),
                  })}
                </p>
              ) : (
                <ToldForm request={request} recipientId={id} name={name} />
              )}
            </li>
          );
        })}
      </ul>
    </section>
  );
}

function ToldForm({
  request,
  recipientId,
  name,
}: {
  request: RequestView;
  recipientId: string;
  name: string;
}) {
  const api = useApi();
  const i18n = useI18n();
  const { t } = i18n;
  const [how, setHow] = useState<ToldHow>('email');
  const [on, setOn] = useState(helsinkiToday());
  const record = useRequestAction(
    request,
    () => {
      // Today is now (the server's clock); an earlier day is its noon in Helsinki, since a day,
      // not a moment, is what staff know.
      const body = on === helsinkiToday() ? { how } : { how, at: `${on}T12:00:00+02:00` };
      return api.recordRecipientTold(request.id, recipientId, body);
    },
    t('recipients.recorded', { name }),
    true,
  );
  const errors = useErrors(record.error);
  return (
    <form
      className="row told-form"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        record.mutate(undefined);
      }}
    >
      <SelectField
        id={`told-how-${recipientId}`}
        label={t('recipients.how', { name })}
        value={how}
        error={errors.field('how')}
        onChange={(e) => setHow(e.target.value as ToldHow)}
      >
        {TOLD_HOW.map((h) => (
          <option key={h} value={h}>
            {toldHowLabel(i18n, h)}
          </option>
        ))}
      </SelectField>
      <TextField
        id={`told-on-${recipientId}`}
        label={t('recipients.on', { name })}
        type="date"
        value={on}
        max={helsinkiToday()}
        error={errors.field('at')}
        onChange={(e) => setOn(e.target.value)}
      />
      <Button type="submit" variant="secondary" busy={record.isPending}>
        {t('recipients.record')}
      </Button>
      {errors.general ? <Alert>{errors.general}</Alert> : null}
    </form>
  );
}

/**
 * Letters to send: what the person would have been mailed, had the request given an e-mail
 * address. Each waiting letter opens as a printable page and is marked sent (posted, handed
 * over, or told by phone when there is no postal address) with the day.
 */
function Letters({ request }: { request: RequestView }) {
  const i18n = useI18n();
  const { t } = i18n;
  const actorText = useActorText();
  return (
    <section aria-labelledby="letters-title" className="letters">
      <h2 id="letters-title">{t('letters.title')}</h2>
      <p className="muted small">{t('letters.intro')}</p>
      <ul className="plain-list">
        {request.letters.map((l) => (
          <li key={l.id} className="card letter-item">
            <h3>
              {!l.erased
                ? l.subject
                : l.sent
                  ? t('letters.sentGone')
                  : l.closed
                    ? t('letters.closedGone')
                    : t('letters.erased')}{' '}
              {l.sent ? (
                <Badge kind="success">{t('letters.sent')}</Badge>
              ) : l.closed ? (
                <Badge>{t('letters.closed')}</Badge>
              ) : (
                <Badge kind="warning">{t('letters.waiting')}</Badge>
              )}
            </h3>
            <p className="small">
              {t('letters.dueSince', { time: i18n.dateTime(l.dueAt) })}{' '}
              <span lang={l.lang}>({LANGUAGE_NAMES[l.lang]})</span>
            </p>
            <p>
              {l.to.address ? (
                <>
                  {t('letters.to')}: {l.to.name ? `${l.to.name}, ` : ''}
                  {l.to.address.street}, {l.to.address.postalCode} {l.to.address.city}
                </>
              ) : (
                <strong>{t('letters.noAddress')}</strong>
              )}
            </p>
            {!l.erased ? (
              <p>
                <Link to={`/requests/${encodeURIComponent(request.id)}/letters/${l.id}`}>
                  {t('letters.open')}
                </Link>
              </p>
            ) : null}
            {l.sent ? (
              <p>
                {t('letters.sentWhen', {
                  how: letterHowLabel(i18n, l.sent.how),
                  day: dayText(i18n, l.sent.on),
                  by: actorText(l.sent.by),
                })}
              </p>
            ) : l.closed ? (
              <p>{t(`letters.closed.${l.closed.why}`, { time: i18n.dateTime(l.closed.at) })}</p>
            ) : (
              <LetterSentForm request={request} letter={l} />
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}

function LetterSentForm({ request, letter }: { request: RequestView; letter: RequestLetter }) {
  const api = useApi();
  const i18n = useI18n();
  const { t } = i18n;
  const [how, setHow] = useState<LetterHow>(letter.to.address ? 'post' : 'phone');
  const [on, setOn] = useState(helsinkiToday());
  const mark = useRequestAction(
    request,
    () => api.markRequestLetterSent(request.id, letter.id, { how, on }),
    t('letters.marked'),
    true,
  );
  const errors = useErrors(mark.error);
  return (
    <form
      className="row told-form"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        mark.mutate(undefined);
      }}
    >
      <SelectField
        id={`letter-how-${letter.id}`}
        label={t('letters.how')}
        value={how}
        error={errors.field('how')}
        onChange={(e) => setHow(e.target.value as LetterHow)}
      >
        {LETTER_HOW.map((h) => (
          <option key={h} value={h}>
            {letterHowLabel(i18n, h)}
          </option>
        ))}
      </SelectField>
      <TextField
        id={`letter-on-${letter.id}`}
        label={t('letters.on')}
        type="date"
        value={on}
        max={helsinkiToday()}
        error={errors.field('on')}
        onChange={(e) => setOn(e.target.value)}
      />
      <Button type="submit" variant="secondary" busy={mark.isPending}>
        {t('letters.mark')}
      </Button>
      {errors.field('letterId') ? <Alert>{errors.field('letterId')}</Alert> : null}
      {errors.general ? <Alert>{errors.general}</Alert> : null}
    </form>
  );
}

/**
 * An access copy without e-mail: staff save the ZIP or the PDF to print (each download is in the
 * access log), post it or hand it over with the completion letter, and record the delivery.
 */
function Delivery({ request }: { request: RequestView }) {
  const api = useApi();
  const i18n = useI18n();
  const { t } = i18n;
  const actorText = useActorText();
  const delivery = request.delivery;
  const [how, setHow] = useState<DeliveryHow>(delivery?.how ?? 'post');
  const [on, setOn] = useState(helsinkiToday());
  const [busy, setBusy] = useState<'zip' | 'pdf' | null>(null);
  const [saveError, setSaveError] = useState<string | null>(null);
  const queryClient = useQueryClient();
  const record = useRequestAction(
    request,
    () => api.recordRequestDelivery(request.id, { how, on }),
    t('delivery.recorded'),
  );
  const errors = useErrors(record.error);
  if (!delivery) {
    return null;
  }
  const save = async (format: 'zip' | 'pdf') => {
    setBusy(format);
    setSaveError(null);
    try {
      const { blob, filename } = await api.getRequestPackage(request.id, format);
      const url = URL.createObjectURL(blob);
      const a = document.createElement('a');
      a.href = url;
      a.download = filename;
      a.click();
      URL.revokeObjectURL(url);
      // The download is a step in the request's history: show it.
      await queryClient.invalidateQueries({ queryKey: ['request', request.id] });
    } catch (err) {
      setSaveError(describeError(i18n, err));
    } finally {
      setBusy(null);
    }
  };
  return (
    <section className="card stack" aria-labelledby="delivery-title">
      <h2 id="delivery-title">{t('delivery.title')}</h2>
      <p>{t(`delivery.planned.${delivery.how}`)}</p>
      {delivery.delivered ? (
        <p>
          {t('delivery.done', {
            how: t(`delivery.how.${delivery.delivered.how}`),
            day: dayText(i18n, delivery.delivered.on),
            by: actorText(delivery.delivered.by),
          })}
        </p>
      ) : (
        <>
          <p className="muted small">{t('delivery.intro')}</p>
          <div className="row">
            <Button variant="secondary" busy={busy === 'pdf'} onClick={() => void save('pdf')}>
              {t('delivery.pdf')}
            </Button>
            <Button variant="secondary" busy={busy === 'zip'} onClick={() => void save('zip')}>
              {t('delivery.zip')}
            </Button>
          </div>
          {saveError ? <Alert>{saveError}</Alert> : null}
          <form
            className="row told-form"
            noValidate
            onSubmit={(e) => {
              e.preventDefault();
              record.mutate(undefined);
            }}
          >
            <SelectField
              id="delivery-how"
              label={t('delivery.howLabel')}
              value={how}
              error={errors.field('how') ?? errors.field('address') ?? null}
              onChange={(e) => setHow(e.target.value as DeliveryHow)}
            >
              {DELIVERY_HOW.map((h) => (
                <option key={h} value={h}>
                  {t(`delivery.how.${h}`)}
                </option>
              ))}
            </SelectField>
            <TextField
              id="delivery-on"
              label={t('letters.on')}
              type="date"
              value={on}
              max={helsinkiToday()}
              error={errors.field('on')}
              onChange={(e) => setOn(e.target.value)}
            />
            <Button type="submit" busy={record.isPending}>
              {t('delivery.record')}
            </Button>
            {errors.field('delivery') ? <Alert>{errors.field('delivery')}</Alert> : null}
            {errors.general ? <Alert>{errors.general}</Alert> : null}
          </form>
        </>
      )}
    </section>
  );
}

/**
 * Correcting the contact details a request gives: its e-mail address while it is open (the person
 * is mailed from then on, and an access copy downloaded through the portal), its postal address
 * until its data is shredded. The history names the fields, never the values.
 */
function ContactForm({ request }: { request: RequestView }) {
  const api = useApi();
  const { t } = useI18n();
  const open = isOpen(request.state);
  const [email, setEmail] = useState('');
  const [street, setStreet] = useState(request.contact.address?.street ?? '');
  const [postalCode, setPostalCode] = useState(request.contact.address?.postalCode ?? '');
  const [city, setCity] = useState(request.contact.address?.city ?? '');
  const [country, setCountry] = useState(request.contact.address?.country ?? '');
  const correct = useRequestAction(
    request,
    () => {
      const address =
        street.trim() || postalCode.trim() || city.trim()
          ? {
              street: street.trim(),
              postalCode: postalCode.trim(),
              city: city.trim(),
              ...(country.trim() ? { country: country.trim() } : {}),
            }
          : undefined;
      return api.correctRequestContact(request.id, {
        ...(open && email.trim() ? { email: email.trim() } : {}),
        ...(address ? { address } : {}),
      });
    },
    t('contact.corrected'),
  );
  const errors = useErrors(correct.error);
  // The request's data shredded (its person erased): nothing left to correct.
  const erased = request.events.some((e) => e.step === 'shredded');
  if (erased) {
    return null;
  }
  return (
    <details className="contact-correct">
      <summary>{t('contact.title')}</summary>
      <form
        className="stack"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          correct.mutate(undefined);
        }}
      >
        {open ? (
          <TextField
            id="contact-email"
            label={t('intake.email')}
            type="email"
            value={email}
            error={errors.field('email')}
            onChange={(e) => setEmail(e.target.value)}
          />
        ) : null}
        <TextField
          id="contact-street"
          label={t('contact.street')}
          value={street}
          error={errors.field('address.street') ?? errors.field('address')}
          onChange={(e) => setStreet(e.target.value)}
        />
        <TextField
          id="contact-postal-code"
          label={t('contact.postalCode')}
          value={postalCode}
          error={errors.field('address.postalCode')}
          onChange={(e) => setPostalCode(e.target.value)}
        />
        <TextField
          id="contact-city"
          label={t('contact.city')}
          value={city}
          error={errors.field('address.city')}
          onChange={(e) => setCity(e.target.value)}
        />
        <TextField
          id="contact-country"
          label={t('contact.country')}
          value={country}
          error={errors.field('address.country')}
          onChange={(e) => setCountry(e.target.value)}
        />
        {errors.general ? <Alert>{errors.general}</Alert> : null}
        <div>
          <Button type="submit" variant="secondary" busy={correct.isPending}>
            {t('contact.save')}
          </Button>
        </div>
      </form>
    </details>
  );
}
