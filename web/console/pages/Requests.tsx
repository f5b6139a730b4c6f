/**
 * The request queue, for roles that handle requests: open requests with the overdue first, then
 * those due within a week (highlighted), then the rest; filters by state, type and person. And
 * the form staff register a request with that came by e-mail, letter, phone or in person.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { ApiError, DOCUMENT_TYPES, REQUEST_STATES } from '../../shared/api.ts';
import type {
  DocumentType,
  IdentityProof,
  RequestChannel,
  RequestIntake,
  RequestLang,
  RequestState,
  RequestSummary,
  RequestType,
} from '../../shared/api.ts';
import { useApi } from '../../shared/api-context.tsx';
import { LANGUAGE_NAMES, LANGUAGES } from '../../shared/i18n.ts';
import { useI18n } from '../i18n.ts';
import { Link, useRouter, withQuery } from '../../shared/router.tsx';
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
import {
  REQUEST_TYPE_LIST,
  STAFF_CHANNELS,
  type StaffChannel,
  channelLabel,
  dayText,
  documentLabel,
  dueText,
  helsinkiToday,
  isOpen,
  proofLabel,
  queueOrder,
  stateLabel,
  typeLabel,
  urgency,
} from '../requests.ts';
import { useDefinition } from '../session.tsx';

/** How many requests one view shows; the server allows up to 500. */
const LIMIT = 500;

const STATE_FILTERS = ['open', 'all', ...REQUEST_STATES] as const;
type StateFilter = (typeof STATE_FILTERS)[number];

function isStateFilter(v: string | null): v is StateFilter {
  return v !== null && (STATE_FILTERS as readonly string[]).includes(v);
}
function isType(v: string | null): v is RequestType {
  return v !== null && (REQUEST_TYPE_LIST as string[]).includes(v);
}

export function RequestsPage() {
  const api = useApi();
  const i18n = useI18n();
  const { t } = i18n;
  const { location, navigate } = useRouter();
  const wantedState = location.query.get('state');
  const stateFilter: StateFilter = isStateFilter(wantedState) ? wantedState : 'open';
  const wantedType = location.query.get('type');
  const typeFilter = isType(wantedType) ? wantedType : null;
  const subjectId = location.query.get('subjectId');

  // The server answers open requests unless states are named.
  const states: readonly RequestState[] | null =
    stateFilter === 'open' ? null : stateFilter === 'all' ? REQUEST_STATES : [stateFilter];
  const requests = useQuery({
    queryKey: ['requests', stateFilter, typeFilter, subjectId],
    queryFn: () => api.listRequests({ state: states, type: typeFilter, subjectId, limit: LIMIT }),
    staleTime: 0,
  });
  const today = helsinkiToday();
  const items = queueOrder(
    (requests.data?.items ?? []).filter(
      (r) =>
        (stateFilter !== 'open' || isOpen(r.state)) &&
        (!typeFilter || r.type === typeFilter) &&
        (!subjectId || r.subjectId === subjectId),
    ),
    today,
  );

  const setFilter = (next: { state?: string; type?: string | null }) =>
    navigate(
      withQuery('/requests', {
        state: (next.state ?? stateFilter) === 'open' ? null : (next.state ?? stateFilter),
        type: next.type === undefined ? typeFilter : next.type,
        subjectId,
      }),
      { replace: true },
    );

  const columns: Column<RequestSummary>[] = [
    {
      id: 'type',
      header: t('col.requestType'),
      rowHeader: true,
      cell: (r) => (
        <Link to={`/requests/${r.id}`} className="request-link">
          {typeLabel(i18n, r.type)}
        </Link>
      ),
    },
    { id: 'state', header: t('col.state'), cell: (r) => <StateBadge state={r.state} /> },
    { id: 'channel', header: t('col.channel'), cell: (r) => channelLabel(i18n, r.channel) },
    {
      id: 'received',
      header: t('col.received'),
      cell: (r) => (
        <time dateTime={r.receivedAt} title={i18n.dateTime(r.receivedAt)}>
          {i18n.shortDateTime(r.receivedAt)}
        </time>
      ),
    },
    { id: 'due', header: t('col.due'), cell: (r) => <DueCell request={r} today={today} /> },
    {
      id: 'extended',
      header: t('col.extended'),
      cell: (r) =>
        r.extended ? <Badge kind="neutral">{t('requests.extended')}</Badge> : t('common.no'),
    },
    {
      id: 'letters',
      header: t('col.letters'),
      cell: (r) =>
        r.lettersWaiting > 0 ? (
          <Badge kind="warning">{t('letters.toSend', { count: r.lettersWaiting })}</Badge>
        ) : (
          ''
        ),
    },
  ];

  return (
    <section className="page">
      <PageHeading title={t('requests.title')}>{t('requests.title')}</PageHeading>
      <p className="muted">{t('requests.intro')}</p>
      <p>
        <Link to="/requests/new" className="button button-primary">
          {t('requests.new')}
        </Link>
      </p>

      <form
        className="card filter-form"
        aria-label={t('requests.filters')}
        onSubmit={(e) => e.preventDefault()}
      >
        <SelectField
          id="requests-state"
          label={t('requests.filterState')}
          value={stateFilter}
          onChange={(e) => setFilter({ state: e.target.value })}
        >
          {STATE_FILTERS.map((s) => (
            <option key={s} value={s}>
              {s === 'open'
                ? t('requests.stateOpen')
                : s === 'all'
                  ? t('common.all')
                  : stateLabel(i18n, s)}
            </option>
          ))}
        </SelectField>
        <SelectField
          id="requests-type"
          label={t('requests.filterType')}
          value={typeFilter ?? ''}
          onChange={(e) => setFilter({ type: e.target.value || null })}
        >
          <option value="">{t('common.all')}</option>
          {REQUEST_TYPE_LIST.map((ty) => (
            <option key={ty} value={ty}>
              {typeLabel(i18n, ty)}
            </option>
          ))}
        </SelectField>
      </form>
      {subjectId ? (
        <p>
          {t('requests.forPerson', { id: subjectId })}{' '}
          <Link to={withQuery('/requests', { state: stateFilter === 'open' ? null : stateFilter })}>
            {t('requests.everyone')}
          </Link>
        </p>
      ) : null}

      <QueryState query={requests} isEmpty={() => items.length === 0} empty={t('requests.none')}>
        {() => (
          <DataTable
            label={t('requests.title')}
            className="requests-table"
            columns={columns}
            rows={items}
            rowKey={(r) => r.id}
            rowClassName={(r) => {
              const u = urgency(r, today);
              return u === 'overdue' ? 'row-overdue' : u === 'soon' ? 'row-flag' : undefined;
            }}
            stack
          />
        )}
      </QueryState>
    </section>
  );
}

export function StateBadge({ state }: { state: RequestState }) {
  const i18n = useI18n();
  const kind =
    state === 'completed'
      ? 'success'
      : state === 'refused'
        ? 'danger'
        : state === 'identity_pending' || state === 'received'
          ? 'warning'
          : 'neutral';
  return <Badge kind={kind}>{stateLabel(i18n, state)}</Badge>;
}

export function DueCell({ request, today }: { request: RequestSummary; today: string }) {
  const i18n = useI18n();
  const { t } = i18n;
  if (!request.dueOn) {
    return <span className="muted">{t('requests.noDueYet')}</span>;
  }
  const u = urgency(request, today);
  return (
    <span className="due">
      <time dateTime={request.dueOn}>{dayText(i18n, request.dueOn)}</time>
      {request.deliveryPending ? (
        <>
          <br />
          <Badge kind="warning">{t('requests.deliveryPending')}</Badge>
        </>
      ) : null}
      {isOpen(request.state) || request.deliveryPending ? (
        <>
          <br />
          {u === 'overdue' ? (
            <Badge kind="danger">{dueText(i18n, request.dueOn, today)}</Badge>
          ) : u === 'soon' ? (
            <Badge kind="warning">{dueText(i18n, request.dueOn, today)}</Badge>
          ) : (
            <span className="small muted">{dueText(i18n, request.dueOn, today)}</span>
          )}
        </>
      ) : null}
    </span>
  );
}

/** The proof a channel normally brings: a signed letter by post, photo ID in person. */
function defaultProof(channel: RequestChannel): IdentityProof | '' {
  return channel === 'in_person' ? 'photo_id' : channel === 'postal' ? 'signed_letter' : '';
}

const PROOFS: IdentityProof[] = ['email_link', 'signed_letter', 'photo_id', 'strong_eid'];

export function NewRequestPage() {
  const api = useApi();
  const queryClient = useQueryClient();
  const i18n = useI18n();
  const { t } = i18n;
  const { navigate } = useRouter();
  const announce = useAnnounce();
  const definition = useDefinition();
  const [channel, setChannel] = useState<StaffChannel>('in_person');
  const [type, setType] = useState<RequestType>('access');
  const [lang, setLang] = useState<RequestLang>(i18n.lang);
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [phone, setPhone] = useState('');
  const [street, setStreet] = useState('');
  const [postalCode, setPostalCode] = useState('');
  const [city, setCity] = useState('');
  const [details, setDetails] = useState('');
  const [proof, setProof] = useState<IdentityProof | ''>(defaultProof('in_person'));
  const [documentType, setDocumentType] = useState<DocumentType | ''>('');
  const [checked, setChecked] = useState(false);

  const offered = new Set(definition.data?.rights.offered.map((o) => o.right) ?? []);
  const types = REQUEST_TYPE_LIST.filter(
    (ty) => offered.size === 0 || offered.has(ty === 'restriction_lift' ? 'restriction' : ty),
  );
  const needsDocument = proof === 'photo_id';
  const documentMissing = needsDocument && !documentType;
  const contactMissing = !email.trim() && !phone.trim();

  const submit = useMutation({
    mutationFn: () => {
      const input: RequestIntake = { type, channel, lang };
      if (name.trim()) {
        input.name = name.trim();
      }
      if (email.trim()) {
        input.email = email.trim();
      }
      if (phone.trim()) {
        input.phone = phone.trim();
      }
      if (street.trim() || postalCode.trim() || city.trim()) {
        input.address = { street: street.trim(), postalCode: postalCode.trim(), city: city.trim() };
      }
      if (details.trim()) {
        input.details = details.trim();
      }
      if (proof) {
        input.identity = documentType && needsDocument ? { proof, documentType } : { proof };
      }
      return api.submitRequest(input);
    },
    onSuccess: async (created) => {
      announce(t('requests.registered'));
      await queryClient.invalidateQueries({ queryKey: ['requests'] });
      navigate(`/requests/${created.id}`);
    },
  });
  const fieldError = (f: string) =>
    submit.error instanceof ApiError ? (submit.error.fieldError(f) ?? null) : null;
  const general =
    submit.error &&
    !(submit.error instanceof ApiError && (submit.error.problem.errors?.length ?? 0) > 0)
      ? describeError(i18n, submit.error)
      : null;

  return (
    <section className="page">
      <p className="breadcrumb">
        <Link to="/requests">{t('requests.title')}</Link>
      </p>
      <PageHeading title={t('requests.new')}>{t('requests.new')}</PageHeading>
      <p className="muted">{t('intake.intro')}</p>
      <form
        className="card stack"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          setChecked(true);
          if (!documentMissing && !contactMissing) {
            submit.mutate();
          }
        }}
      >
        {general ? <Alert>{general}</Alert> : null}
        <div className="grid-3">
          <SelectField
            id="intake-channel"
            label={t('intake.channel')}
            value={channel}
            error={fieldError('channel')}
            onChange={(e) => {
              const c = e.target.value as StaffChannel;
              setChannel(c);
              setProof(defaultProof(c));
            }}
          >
            {STAFF_CHANNELS.map((c) => (
              <option key={c} value={c}>
                {channelLabel(i18n, c)}
              </option>
            ))}
          </SelectField>
          <SelectField
            id="intake-type"
            label={t('intake.type')}
            value={type}
            error={fieldError('type')}
            onChange={(e) => setType(e.target.value as RequestType)}
          >
            {types.map((ty) => (
              <option key={ty} value={ty}>
                {typeLabel(i18n, ty)}
              </option>
            ))}
          </SelectField>
          <SelectField
            id="intake-lang"
            label={t('intake.lang')}
            hint={t('intake.langHint')}
            value={lang}
            error={fieldError('lang')}
            onChange={(e) => setLang(e.target.value as RequestLang)}
          >
            {LANGUAGES.map((l) => (
              <option key={l} value={l} lang={l}>
                {LANGUAGE_NAMES[l]}
              </option>
            ))}
          </SelectField>
        </div>
        <fieldset className="fieldset">
          <legend>{t('intake.contact')}</legend>
          <p className="field-hint">{t('intake.contactHint')}</p>
          {checked && contactMissing ? (
            <p className="field-error" role="alert">
              {t('intake.contactMissing')}
            </p>
          ) : null}
          <div className="grid-3">
            <TextField
              id="intake-name"
              label={t('intake.name')}
              autoComplete="off"
              value={name}
              error={fieldError('name')}
              onChange={(e) => setName(e.target.value)}
            />
            <TextField
              id="intake-email"
              label={t('intake.email')}
              type="email"
              autoComplete="off"
              spellCheck={false}
              value={email}
              error={fieldError('email')}
              onChange={(e) => setEmail(e.target.value)}
            />
            <TextField
              id="intake-phone"
              label={t('intake.phone')}
              type="tel"
              autoComplete="off"
              value={phone}
              error={fieldError('phone')}
              onChange={(e) => setPhone(e.target.value)}
            />
          </div>
        </fieldset>
        <fieldset className="fieldset">
          <legend>{t('intake.address')}</legend>
          <p className="field-hint">{t('intake.addressHint')}</p>
          <div className="grid-3">
            <TextField
              id="intake-street"
              label={t('intake.street')}
              autoComplete="off"
              value={street}
              error={fieldError('address.street') ?? fieldError('address')}
              onChange={(e) => setStreet(e.target.value)}
            />
            <TextField
              id="intake-postal-code"
              label={t('intake.postalCode')}
              autoComplete="off"
              value={postalCode}
              error={fieldError('address.postalCode')}
              onChange={(e) => setPostalCode(e.target.value)}
            />
            <TextField
              id="intake-city"
              label={t('intake.city')}
              autoComplete="off"
              value={city}
              error={fieldError('address.city')}
              onChange={(e) => setCity(e.target.value)}
            />
          </div>
        </fieldset>
        <TextAreaField
          id="intake-details"
          label={t('intake.details')}
          hint={t('intake.detailsHint')}
          value={details}
          rows={3}
          error={fieldError('details')}
          onChange={(e) => setDetails(e.target.value)}
        />
        <fieldset className="fieldset">
          <legend>{t('intake.identity')}</legend>
          <p className="field-hint">{t('intake.identityHint')}</p>
          <div className="grid-3">
            <SelectField
              id="intake-proof"
              label={t('intake.proof')}
              value={proof}
              error={fieldError('identity.proof') ?? fieldError('identity')}
              onChange={(e) => setProof(e.target.value as IdentityProof | '')}
            >
              <option value="">{t('intake.proofNone')}</option>
              {PROOFS.map((p) => (
                <option key={p} value={p}>
                  {proofLabel(i18n, p)}
                </option>
              ))}
            </SelectField>
            {needsDocument ? (
              <SelectField
                id="intake-document"
                label={t('identity.documentType')}
                hint={t('identity.noNumber')}
                value={documentType}
                error={
                  (checked && documentMissing ? t('identity.documentMissing') : null) ??
                  fieldError('identity.documentType')
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
          </div>
        </fieldset>
        <div>
          <Button type="submit" busy={submit.isPending}>
            {t('intake.submit')}
          </Button>
        </div>
      </form>
    </section>
  );
}
