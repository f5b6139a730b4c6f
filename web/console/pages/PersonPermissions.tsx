/**
 * A person's marketing permissions on their page: the current state per kind and channel, and the
 * evidence of every change (when, how, the notice version, the text shown, who recorded it). Not
 * tied to the purpose chosen above: the ledger is about the person. Reading it is logged.
 */
import { useQuery } from '@tanstack/react-query';
import { ApiError } from '../../shared/api.ts';
import type { Definition, PermissionHistoryEntry, PermissionState } from '../../shared/api.ts';
import { useApi } from '../../shared/api-context.tsx';
import { useI18n, type MessageKey } from '../i18n.ts';
import { Badge, DataTable, QueryState, type Column } from '../../shared/ui.tsx';

const STATE_BADGE = {
  granted: 'success',
  pending: 'neutral',
  refused: 'danger',
  withdrawn: 'danger',
  objected: 'danger',
} as const;

export function PersonPermissions({ id, def }: { id: string; def: Definition }) {
  const api = useApi();
  const i18n = useI18n();
  const { t, loc } = i18n;
  const permissions = useQuery({
    queryKey: ['permissions', id],
    queryFn: () => api.getPermissions(id),
  });
  const kinds = new Map(def.marketing.kinds.map((k) => [k.id, k]));
  const channels = new Map(def.marketing.channels.map((c) => [c.id, c]));
  const kindLabel = (k: string) => loc(kinds.get(k)?.label, k);
  const channelLabel = (c: string) =>
    c === '*' ? t('permissions.allChannels') : loc(channels.get(c)?.label, c);
  const stateLabel = (s: PermissionState['state']) => t(`permissions.state.${s}` as MessageKey);
  const methodLabel = (m: PermissionState['method']) => t(`permissions.method.${m}` as MessageKey);

  const stateColumns: Column<PermissionState>[] = [
    { id: 'kind', header: t('permissions.kind'), cell: (s) => kindLabel(s.kind) },
    { id: 'channel', header: t('permissions.channel'), cell: (s) => channelLabel(s.channel) },
    {
      id: 'state',
      header: t('permissions.state'),
      cell: (s) => <Badge kind={STATE_BADGE[s.state]}>{stateLabel(s.state)}</Badge>,
    },
    {
      id: 'since',
      header: t('permissions.since'),
      className: 'nowrap',
      cell: (s) => i18n.dateTime(s.changedAt),
    },
    { id: 'method', header: t('permissions.method'), cell: (s) => methodLabel(s.method) },
  ];
  const historyColumns: Column<PermissionHistoryEntry>[] = [
    {
      id: 'given',
      header: t('permissions.given'),
      className: 'nowrap',
      cell: (h) => i18n.dateTime(h.givenAt),
    },
    { id: 'kind', header: t('permissions.kind'), cell: (h) => kindLabel(h.kind) },
    { id: 'channel', header: t('permissions.channel'), cell: (h) => channelLabel(h.channel) },
    {
      id: 'state',
      header: t('permissions.state'),
      cell: (h) => <Badge kind={STATE_BADGE[h.state]}>{stateLabel(h.state)}</Badge>,
    },
    {
      id: 'previous',
      header: t('permissions.previous'),
      cell: (h) =>
        h.previousState === null ? t('permissions.neverAsked') : stateLabel(h.previousState),
    },
    { id: 'method', header: t('permissions.method'), cell: (h) => methodLabel(h.method) },
    { id: 'notice', header: t('permissions.notice'), cell: (h) => h.noticeVersion ?? '—' },
    {
      id: 'wording',
      header: t('permissions.wording'),
      cell: (h) => (h.wording ? `“${h.wording.text}” (${h.wording.language})` : '—'),
    },
    { id: 'reference', header: t('permissions.reference'), cell: (h) => h.reference ?? '—' },
    { id: 'by', header: t('permissions.by'), cell: (h) => h.actor },
    {
      id: 'recorded',
      header: t('permissions.recorded'),
      className: 'nowrap',
      cell: (h) => i18n.dateTime(h.recordedAt),
    },
  ];

  return (
    <section aria-labelledby="permissions-heading">
      <h2 id="permissions-heading">{t('permissions.title')}</h2>
      <p className="muted small">{t('permissions.intro')}</p>
      <QueryState
        query={permissions}
        knownError={(e) =>
          e instanceof ApiError && e.status === 403 ? t('permissions.unavailable') : null
        }
      >
        {(p) => (
          <>
            {p.state.length === 0 ? (
              <p>{t('permissions.none')}</p>
            ) : (
              <DataTable
                label={t('permissions.current')}
                columns={stateColumns}
                rows={p.state}
                rowKey={(s) => `${s.kind}:${s.channel}`}
              />
            )}
            <h3>{t('permissions.history')}</h3>
            {p.history.length === 0 ? (
              <p>{t('permissions.historyNone')}</p>
            ) : (
              <DataTable
                label={t('permissions.history')}
                columns={historyColumns}
                rows={p.history}
                rowKey={(h) => h.id}
                stack
              />
            )}
          </>
        )}
      </QueryState>
    </section>
  );
}
