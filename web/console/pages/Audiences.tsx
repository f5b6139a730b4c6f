/**
 * Audiences (docs/audiences.md), for roles with export_audiences: a marketing purpose, one of its
 * channels and filters over the purpose's categories; the size first, then the CSV to download.
 * The server decides who is in it (the permission ledger, stops, restriction, erasure) and logs
 * the export.
 */
import { useState, type FormEvent } from 'react';
import { ApiError } from '../../shared/api.ts';
import { useApi } from '../../shared/api-context.tsx';
import { Button, PageHeading, SelectField, TextField } from '../../shared/ui.tsx';
import { useI18n } from '../i18n.ts';
import { useReadablePurposes } from '../purpose.tsx';
import { useDefinition } from '../session.tsx';

type Op = 'equals' | 'contains' | 'in';
interface FilterRow {
  field: string;
  op: Op;
  value: string;
}

export function AudiencesPage() {
  const api = useApi();
  const { t, loc } = useI18n();
  const definition = useDefinition();
  const purposes = useReadablePurposes(definition.data).filter((p) => p.permission);
  const [purposeId, setPurposeId] = useState('');
  const purpose = purposes.find((p) => p.id === purposeId) ?? purposes[0];
  const channels = purpose?.permission?.channels.map((c) => c.channel) ?? [];
  const [channelId, setChannelId] = useState('');
  const channel = channels.includes(channelId) ? channelId : (channels[0] ?? '');
  const [filters, setFilters] = useState<FilterRow[]>([]);
  const [createdAfter, setCreatedAfter] = useState('');
  const [count, setCount] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState<'count' | 'export' | null>(null);

  const fields = (definition.data?.categories ?? [])
    .filter((c) => purpose?.categories.includes(c.id))
    .flatMap((c) =>
      c.fields.map((f) => ({
        id: `${c.id}.${f.id}`,
        label: `${loc(c.label, c.id)} · ${loc(f.label, f.id)}`,
      })),
    );
  const channelLabel = (id: string) =>
    loc(definition.data?.marketing.channels.find((c) => c.id === id)?.label, id);

  const input = () => ({
    purpose: purpose?.id ?? '',
    channel,
    filters: filters.map((f) =>
      f.op === 'in'
        ? {
            field: f.field,
            op: 'in' as const,
            values: f.value
              .split(',')
              .map((v) => v.trim())
              .filter(Boolean),
          }
        : { field: f.field, op: f.op, value: f.value },
    ),
    ...(createdAfter ? { createdAfter: new Date(createdAfter).toISOString() } : {}),
  });

  const explain = (e: unknown) =>
    e instanceof ApiError
      ? [
          e.problem.detail ?? e.problem.title,
          ...(e.problem.errors ?? []).map((x) => `${x.field}: ${x.detail}`),
        ]
          .filter(Boolean)
          .join(' — ')
      : String(e);

  const changed = () => {
    setCount(null);
    setError(null);
  };

  const onCount = async (e: FormEvent) => {
    e.preventDefault();
    setBusy('count');
    setError(null);
    try {
      const answer = await api.countAudience(input());
      setCount(
        answer.fewerThan === undefined ? String(answer.count) : `< ${String(answer.fewerThan)}`,
      );
    } catch (err) {
      setCount(null);
      setError(explain(err));
    } finally {
      setBusy(null);
    }
  };

  const onExport = async () => {
    setBusy('export');
    setError(null);
    try {
      const { blob, filename } = await api.exportAudience(input());
      const url = URL.createObjectURL(blob);
      const a = document.createElement('a');
      a.href = url;
      a.download = filename;
      a.click();
      URL.revokeObjectURL(url);
    } catch (err) {
      setError(explain(err));
    } finally {
      setBusy(null);
    }
  };

  if (definition.data && purposes.length === 0) {
    return (
      <section className="page">
        <PageHeading title={t('audience.title')}>{t('audience.title')}</PageHeading>
        <p>{t('audience.noPurposes')}</p>
      </section>
    );
  }

  return (
    <section className="page">
      <PageHeading title={t('audience.title')}>{t('audience.title')}</PageHeading>
      <p>{t('audience.intro')}</p>
      <form onSubmit={(e) => void onCount(e)} className="stack">
        <SelectField
          id="audience-purpose"
          label={t('purpose.label')}
          value={purpose?.id ?? ''}
          onChange={(e) => {
            setPurposeId(e.target.value);
            setFilters([]);
            changed();
          }}
        >
          {purposes.map((p) => (
            <option key={p.id} value={p.id}>
              {loc(p.label, p.id)}
            </option>
          ))}
        </SelectField>
        <SelectField
          id="audience-channel"
          label={t('audience.channel')}
          value={channel}
          onChange={(e) => {
            setChannelId(e.target.value);
            changed();
          }}
        >
          {channels.map((c) => (
            <option key={c} value={c}>
              {channelLabel(c)}
            </option>
          ))}
        </SelectField>
        <fieldset>
          <legend>{t('audience.filters')}</legend>
          {filters.map((f, i) => (
            <div key={i} className="filter-row">
              <SelectField
                id={`audience-filter-${i}-field`}
                label={t('audience.field')}
                value={f.field}
                onChange={(e) => {
                  setFilters(
                    filters.map((x, k) => (k === i ? { ...x, field: e.target.value } : x)),
                  );
                  changed();
                }}
              >
                {fields.map((x) => (
                  <option key={x.id} value={x.id}>
                    {x.label}
                  </option>
                ))}
              </SelectField>
              <SelectField
                id={`audience-filter-${i}-op`}
                label={t('audience.op')}
                value={f.op}
                onChange={(e) => {
                  setFilters(
                    filters.map((x, k) => (k === i ? { ...x, op: e.target.value as Op } : x)),
                  );
                  changed();
                }}
              >
                <option value="equals">{t('audience.op.equals')}</option>
                <option value="contains">{t('audience.op.contains')}</option>
                <option value="in">{t('audience.op.in')}</option>
              </SelectField>
              <TextField
                id={`audience-filter-${i}-value`}
                label={t('audience.value')}
                value={f.value}
                onChange={(e) => {
                  setFilters(
                    filters.map((x, k) => (k === i ? { ...x, value: e.target.value } : x)),
                  );
                  changed();
                }}
              />
              <Button
                variant="secondary"
                onClick={() => {
                  setFilters(filters.filter((_, k) => k !== i));
                  changed();
                }}
              >
                {t('audience.removeFilter')}
              </Button>
            </div>
          ))}
          <Button
            variant="secondary"
            disabled={fields.length === 0}
            onClick={() => {
              setFilters([...filters, { field: fields[0]?.id ?? '', op: 'equals', value: '' }]);
              changed();
            }}
          >
            {t('audience.addFilter')}
          </Button>
        </fieldset>
        <TextField
          id="audience-created-after"
          type="date"
          label={t('audience.createdAfter')}
          value={createdAfter}
          onChange={(e) => {
            setCreatedAfter(e.target.value);
            changed();
          }}
        />
        <div className="actions">
          <Button type="submit" busy={busy === 'count'}>
            {t('audience.count')}
          </Button>
          <Button
            variant="secondary"
            busy={busy === 'export'}
            disabled={count === null}
            onClick={() => void onExport()}
          >
            {t('audience.download')}
          </Button>
        </div>
      </form>
      {count !== null ? (
        <p role="status" className="audience-size">
          {t('audience.size', { count })}
        </p>
      ) : null}
      {error ? (
        <div className="alert alert-error" role="alert">
          <p>{error}</p>
        </div>
      ) : null}
    </section>
  );
}
