/**
 * The privacy notice's versions (docs/notice.md), for every signed-in role (the versions are
 * public, as the notice is): each published version with its date, whether the definition running
 * now needs a new one, and what changed in substance between two chosen versions. Roles with
 * manage_definition also publish a new version and tell people of a material change by mail; the
 * server refuses a version that changed nothing material, naming why.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import type { NoticeAnnouncement, NoticeChange, NoticeVersions } from '../../shared/api.ts';
import { useApi } from '../../shared/api-context.tsx';
import {
  Alert,
  Button,
  DataTable,
  ErrorAlert,
  PageHeading,
  QueryState,
  SelectField,
  TextField,
  useAnnounce,
  type Column,
} from '../../shared/ui.tsx';
import { useI18n, type MessageKey } from '../i18n.ts';
import { useCan } from '../session.tsx';

type Version = NoticeVersions['versions'][number];

const CURRENT = 'current';

/** What changed, as a table: section, item, added/removed/changed and the properties. */
function ChangeTable({ changes, label }: { changes: NoticeChange[]; label: string }) {
  const { t } = useI18n();
  const columns: Column<NoticeChange>[] = [
    {
      id: 'section',
      header: t('notice.col.section'),
      cell: (c) => t(`notice.section.${c.section}` as MessageKey),
    },
    { id: 'id', header: t('notice.col.item'), className: 'mono', cell: (c) => c.id },
    {
      id: 'change',
      header: t('notice.col.change'),
      cell: (c) => t(`notice.change.${c.change}` as MessageKey),
    },
    {
      id: 'fields',
      header: t('notice.col.fields'),
      className: 'mono',
      // A single value with what it was and what it is: `duration: P6M → P1Y`.
      cell: (c) =>
        c.fields
          .map((f) => {
            const v = c.values.find((x) => x.field === f);
            const shown = (x: string | number | boolean | null) => (x === null ? '—' : String(x));
            return v ? `${f}: ${shown(v.before)} → ${shown(v.after)}` : f;
          })
          .join(', ') || '—',
    },
  ];
  return (
    <DataTable
      label={label}
      columns={columns}
      rows={changes}
      rowKey={(c) => `${c.section}/${c.id}`}
    />
  );
}

export function NoticePage() {
  const api = useApi();
  const queryClient = useQueryClient();
  const { t, dateTime } = useI18n();
  const announce = useAnnounce();
  const canManage = useCan('manage_definition');
  const versions = useQuery({
    queryKey: ['notice-versions'],
    queryFn: () => api.noticeVersions(),
    staleTime: 0,
  });
  const list = versions.data?.versions ?? [];
  const latest = list[0];
  const [fromChoice, setFrom] = useState('');
  const [toChoice, setTo] = useState('');
  // Default: the version before the latest against the latest (or the latest against now).
  const from = Number(fromChoice || (list[1]?.version ?? latest?.version ?? 0));
  const to = toChoice || (list[1] ? String(latest?.version ?? '') : CURRENT);
  const diff = useQuery({
    queryKey: ['notice-diff', from, to],
    queryFn: () => api.noticeDiff(from, to === CURRENT ? undefined : Number(to)),
    enabled: from > 0,
    staleTime: 0,
  });

  const [date, setDate] = useState('');
  const publish = useMutation({
    mutationFn: () => api.publishNotice(date || undefined),
    onSuccess: async (v) => {
      announce(t('notice.published', { version: v.version, date: v.date }));
      await queryClient.invalidateQueries({ queryKey: ['notice-versions'] });
    },
  });
  const announcements = useQuery({
    queryKey: ['notice-announcements'],
    queryFn: () => api.noticeAnnouncements(),
    enabled: canManage,
    staleTime: 0,
    // While a run is mailing its batches, follow its count.
    refetchInterval: (q) =>
      q.state.data?.announcements.some((a) => a.finishedAt === null) ? 2000 : false,
  });
  const tell = useMutation({
    mutationFn: (version: number) => api.announceNotice(version),
    onSuccess: async (a) => {
      announce(t('notice.announced', { version: a.version, people: a.eligible }));
      await queryClient.invalidateQueries({ queryKey: ['notice-announcements'] });
    },
  });

  const versionColumns: Column<Version>[] = [
    { id: 'version', header: t('notice.col.version'), cell: (v) => v.version },
    { id: 'date', header: t('notice.col.date'), cell: (v) => v.date },
    { id: 'published', header: t('notice.col.published'), cell: (v) => dateTime(v.publishedAt) },
  ];
  const runColumns: Column<NoticeAnnouncement>[] = [
    { id: 'version', header: t('notice.col.version'), cell: (a) => a.version },
    { id: 'started', header: t('notice.col.started'), cell: (a) => dateTime(a.startedAt) },
    {
      id: 'state',
      header: t('notice.col.state'),
      cell: (a) =>
        a.finishedAt ? t('notice.finished', { at: dateTime(a.finishedAt) }) : t('notice.running'),
    },
    {
      id: 'mailed',
      header: t('notice.col.mailed'),
      cell: (a) => t('notice.mailedOf', { mailed: a.mailed, eligible: a.eligible }),
    },
  ];

  const onPublish = (e: FormEvent) => {
    e.preventDefault();
    publish.mutate();
  };

  return (
    <section className="page">
      <PageHeading title={t('notice.title')}>{t('notice.title')}</PageHeading>
      <p className="muted">{t('notice.intro')}</p>
      <QueryState query={versions}>
        {(data) => (
          <>
            <h2>{t('notice.versions')}</h2>
            {data.versions.length > 0 ? (
              <DataTable
                label={t('notice.versions')}
                columns={versionColumns}
                rows={data.versions}
                rowKey={(v) => String(v.version)}
              />
            ) : (
              <p>{t('notice.noVersions')}</p>
            )}
            {data.current.needsNewVersion ? (
              <Alert kind="warning" title={t('notice.needsNew')}>
                <p>{t('notice.needsNewBody', { count: data.current.changes.length })}</p>
              </Alert>
            ) : (
              <p>{t('notice.upToDate', { version: data.current.publishedAs ?? '—' })}</p>
            )}
            {canManage && data.current.needsNewVersion ? (
              <form className="row" onSubmit={onPublish}>
                <TextField
                  label={t('notice.date')}
                  hint={t('notice.dateHint')}
                  type="date"
                  value={date}
                  onChange={(e) => setDate(e.target.value)}
                />
                <Button type="submit" busy={publish.isPending}>
                  {t('notice.publish')}
                </Button>
              </form>
            ) : null}
            {publish.isError ? <ErrorAlert error={publish.error} /> : null}

            {data.versions.length > 0 ? (
              <>
                <h2>{t('notice.compare')}</h2>
                <div className="row">
                  <SelectField
                    label={t('notice.from')}
                    value={String(from)}
                    onChange={(e) => setFrom(e.target.value)}
                  >
                    {data.versions.map((v) => (
                      <option key={v.version} value={v.version}>
                        {t('notice.versionOption', { version: v.version, date: v.date })}
                      </option>
                    ))}
                  </SelectField>
                  <SelectField
                    label={t('notice.to')}
                    value={to}
                    onChange={(e) => setTo(e.target.value)}
                  >
                    {data.versions.map((v) => (
                      <option key={v.version} value={v.version}>
                        {t('notice.versionOption', { version: v.version, date: v.date })}
                      </option>
                    ))}
                    <option value={CURRENT}>{t('notice.current')}</option>
                  </SelectField>
                </div>
                <QueryState
                  query={diff}
                  isEmpty={(d) => d.changes.length === 0}
                  empty={t('notice.noChanges')}
                >
                  {(d) => <ChangeTable changes={d.changes} label={t('notice.compare')} />}
                </QueryState>
              </>
            ) : null}

            {canManage && latest ? (
              <>
                <h2>{t('notice.tell')}</h2>
                <p className="muted">{t('notice.tellIntro')}</p>
                <Button
                  variant="secondary"
                  busy={tell.isPending}
                  onClick={() => tell.mutate(latest.version)}
                >
                  {t('notice.tellButton', { version: latest.version })}
                </Button>
                {tell.isError ? <ErrorAlert error={tell.error} /> : null}
                {tell.isSuccess ? (
                  <Alert kind="success">
                    <p>
                      {t('notice.announced', {
                        version: tell.data.version,
                        people: tell.data.eligible,
                      })}
                    </p>
                  </Alert>
                ) : null}
                {(announcements.data?.announcements.length ?? 0) > 0 ? (
                  <DataTable
                    label={t('notice.runs')}
                    columns={runColumns}
                    rows={announcements.data?.announcements ?? []}
                    rowKey={(a) => a.id}
                  />
                ) : null}
              </>
            ) : null}
          </>
        )}
      </QueryState>
    </section>
  );
}
