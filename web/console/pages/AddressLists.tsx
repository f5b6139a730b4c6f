/**
 * Address lists (docs/interchange.md, "Taking an address off a list"), for roles with
 * export_audiences or handle_requests: whether one e-mail address or phone number is on the
 * undeliverable or the prohibition list, and taking it off with a reason. The prohibition list's
 * removal is offered only to roles that handle requests; the server checks again. The address goes
 * in the request's body, never in the page's address.
 */
import { useState, type FormEvent } from 'react';
import { ApiError } from '../../shared/api.ts';
import { useApi } from '../../shared/api-context.tsx';
import { Button, PageHeading, SelectField, TextField } from '../../shared/ui.tsx';
import { useI18n } from '../i18n.ts';
import { useCan } from '../session.tsx';

type List = 'undeliverable' | 'prohibition';
type Kind = 'email' | 'phone';

export function AddressListsPage() {
  const api = useApi();
  const i18n = useI18n();
  const { t } = i18n;
  const canHandle = useCan('handle_requests');
  const [list, setList] = useState<List>('undeliverable');
  const [kind, setKind] = useState<Kind>('email');
  const [address, setAddress] = useState('');
  const [reason, setReason] = useState('');
  const [status, setStatus] = useState<string | null>(null);
  const [listed, setListed] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState<'check' | 'remove' | null>(null);
  const mayRemove = list === 'undeliverable' || canHandle;

  const explain = (e: unknown) =>
    e instanceof ApiError
      ? [
          e.problem.detail ?? e.problem.title,
          ...(e.problem.errors ?? []).map((x) => `${x.field}: ${x.detail}`),
        ]
          .filter(Boolean)
          .join(' — ')
      : String(e);
  const which = () => (kind === 'email' ? { email: address } : { phone: address });
  const changed = () => {
    setStatus(null);
    setListed(false);
    setError(null);
  };

  const onCheck = async (e: FormEvent) => {
    e.preventDefault();
    setBusy('check');
    setError(null);
    try {
      const entry = await api.lookupAddressListEntry(list, which());
      setListed(entry.listed);
      setStatus(
        entry.listed
          ? t('addressList.listed', {
              at: i18n.dateTime(entry.listedAt ?? ''),
              source: entry.source ?? '',
            })
          : t('addressList.notListed'),
      );
    } catch (err) {
      setStatus(null);
      setListed(false);
      setError(explain(err));
    } finally {
      setBusy(null);
    }
  };

  const onRemove = async (e: FormEvent) => {
    e.preventDefault();
    setBusy('remove');
    setError(null);
    try {
      const removed = await api.removeAddressListEntry(list, { ...which(), reason });
      setListed(false);
      setReason('');
      setStatus(
        t('addressList.removed', { at: i18n.dateTime(removed.listedAt), source: removed.source }),
      );
    } catch (err) {
      setError(explain(err));
    } finally {
      setBusy(null);
    }
  };

  return (
    <section className="page">
      <PageHeading title={t('addressList.title')}>{t('addressList.title')}</PageHeading>
      <p>{t('addressList.intro')}</p>
      <form onSubmit={(e) => void onCheck(e)} className="stack">
        <SelectField
          id="address-list-list"
          label={t('addressList.list')}
          value={list}
          onChange={(e) => {
            setList(e.target.value as List);
            changed();
          }}
        >
          <option value="undeliverable">{t('addressList.list.undeliverable')}</option>
          <option value="prohibition">{t('addressList.list.prohibition')}</option>
        </SelectField>
        <SelectField
          id="address-list-kind"
          label={t('addressList.kind')}
          value={kind}
          onChange={(e) => {
            setKind(e.target.value as Kind);
            changed();
          }}
        >
          <option value="email">{t('addressList.kind.email')}</option>
          <option value="phone">{t('addressList.kind.phone')}</option>
        </SelectField>
        <TextField
          id="address-list-address"
          label={t(kind === 'email' ? 'addressList.kind.email' : 'addressList.kind.phone')}
          type={kind === 'email' ? 'email' : 'tel'}
          autoComplete="off"
          required
          maxLength={kind === 'email' ? 320 : 40}
          value={address}
          onChange={(e) => {
            setAddress(e.target.value);
            changed();
          }}
        />
        <div className="actions">
          <Button type="submit" busy={busy === 'check'}>
            {t('addressList.check')}
          </Button>
        </div>
      </form>
      {status !== null ? (
        <p role="status" className="address-list-status">
          {status}
        </p>
      ) : null}
      {listed && mayRemove ? (
        <form onSubmit={(e) => void onRemove(e)} className="stack">
          <TextField
            id="address-list-reason"
            label={t('addressList.reason')}
            hint={t('addressList.reasonHint')}
            required
            maxLength={500}
            value={reason}
            onChange={(e) => setReason(e.target.value)}
          />
          <div className="actions">
            <Button type="submit" variant="secondary" busy={busy === 'remove'}>
              {t('addressList.remove')}
            </Button>
          </div>
        </form>
      ) : null}
      {listed && !mayRemove ? <p className="muted">{t('addressList.prohibitionNeeds')}</p> : null}
      {error ? (
        <div className="alert alert-error" role="alert">
          <p>{error}</p>
        </div>
      ) : null}
    </section>
  );
}
