/**
 * A campaign's mails that need staff (docs/campaigns.md): the uncertain ones (the mail server may
 * or may not have taken them) to resolve as sent or failed after asking the mail server, or to
 * send again only on an explicit confirmation; and the bounced ones, whose 180-day suppression
 * can be lifted early when the person fixed their mailbox. Every action asks for a reason, which
 * the server keeps in the mail's history (not in the access log).
 */
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { ApiError, type Campaign, type CampaignSend } from '../../shared/api.ts';
import { useApi } from '../../shared/api-context.tsx';
import { Button, DataTable, QueryState, TextField, type Column } from '../../shared/ui.tsx';
import { useI18n } from '../i18n.ts';

type Action = 'sent' | 'failed' | 'requeue' | 'lift';

export function CampaignMails({ campaign }: { campaign: Campaign }) {
  const api = useApi();
  const queryClient = useQueryClient();
  const { t } = useI18n();
  const [reasons, setReasons] = useState<Record<string, string>>({});
  const [confirmed, setConfirmed] = useState<Record<string, boolean>>({});
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const uncertain = useQuery({
    queryKey: ['campaign-sends', campaign.id, 'uncertain'],
    queryFn: () => api.listCampaignSends(campaign.id, 'uncertain'),
    staleTime: 0,
  });
  const bounced = useQuery({
    queryKey: ['campaign-sends', campaign.id, 'bounced'],
    queryFn: () => api.listCampaignSends(campaign.id, 'bounced'),
    staleTime: 0,
  });

  const act = async (send: CampaignSend, action: Action) => {
    const key = `${send.subjectId}:${action}`;
    const reason = reasons[send.subjectId] ?? '';
    setBusy(key);
    setError(null);
    setNotice(null);
    try {
      if (action === 'sent' || action === 'failed') {
        await api.resolveCampaignSend(campaign.id, send.subjectId, { outcome: action, reason });
      } else if (action === 'requeue') {
        await api.requeueCampaignSend(campaign.id, send.subjectId, {
          reason,
          // The server refuses anything but true, naming the field: the box must be ticked.
          confirmSendAgain: (confirmed[send.subjectId] === true) as true,
        });
      } else {
        await api.liftCampaignBounce(campaign.id, send.subjectId, { reason });
      }
      setNotice(t(`campaign.mails.done.${action}`));
      setReasons({ ...reasons, [send.subjectId]: '' });
      await queryClient.invalidateQueries({ queryKey: ['campaign-sends', campaign.id] });
      await queryClient.invalidateQueries({ queryKey: ['campaigns'] });
    } catch (err) {
      setError(
        err instanceof ApiError
          ? [
              err.problem.detail ?? err.problem.title,
              ...(err.problem.errors ?? []).map((x) => `${x.field}: ${x.detail}`),
            ]
              .filter(Boolean)
              .join(' — ')
          : String(err),
      );
    } finally {
      setBusy(null);
    }
  };

  const reasonField = (s: CampaignSend) => (
    <TextField
      id={`campaign-mail-reason-${s.subjectId}`}
      label={t('campaign.mails.reason')}
      hint={t('campaign.mails.reasonHint')}
      value={reasons[s.subjectId] ?? ''}
      maxLength={500}
      onChange={(e) => setReasons({ ...reasons, [s.subjectId]: e.target.value })}
    />
  );

  const base: Column<CampaignSend>[] = [
    { id: 'person', header: t('campaign.mails.person'), cell: (s) => <code>{s.subjectId}</code> },
    { id: 'reason', header: t('campaign.mails.why'), cell: (s) => s.reason ?? '' },
  ];
  const uncertainColumns: Column<CampaignSend>[] = [
    ...base,
    {
      id: 'act',
      header: t('campaign.actions'),
      cell: (s) => (
        <div className="stack">
          {reasonField(s)}
          <div className="actions">
            <Button
              busy={busy === `${s.subjectId}:sent`}
              onClick={() => void act(s, 'sent')}
              aria-label={`${t('campaign.mails.markSent')}: ${s.subjectId}`}
            >
              {t('campaign.mails.markSent')}
            </Button>
            <Button
              variant="secondary"
              busy={busy === `${s.subjectId}:failed`}
              onClick={() => void act(s, 'failed')}
              aria-label={`${t('campaign.mails.markFailed')}: ${s.subjectId}`}
            >
              {t('campaign.mails.markFailed')}
            </Button>
          </div>
          <label className="checkbox">
            <input
              type="checkbox"
              checked={confirmed[s.subjectId] === true}
              onChange={(e) => setConfirmed({ ...confirmed, [s.subjectId]: e.target.checked })}
            />{' '}
            {t('campaign.mails.confirmSendAgain')}
          </label>
          <div className="actions">
            <Button
              variant="secondary"
              busy={busy === `${s.subjectId}:requeue`}
              disabled={confirmed[s.subjectId] !== true}
              onClick={() => void act(s, 'requeue')}
              aria-label={`${t('campaign.mails.sendAgain')}: ${s.subjectId}`}
            >
              {t('campaign.mails.sendAgain')}
            </Button>
          </div>
        </div>
      ),
    },
  ];
  const bouncedColumns: Column<CampaignSend>[] = [
    ...base,
    {
      id: 'act',
      header: t('campaign.actions'),
      cell: (s) => (
        <div className="stack">
          {reasonField(s)}
          <div className="actions">
            <Button
              variant="secondary"
              busy={busy === `${s.subjectId}:lift`}
              onClick={() => void act(s, 'lift')}
              aria-label={`${t('campaign.mails.liftBounce')}: ${s.subjectId}`}
            >
              {t('campaign.mails.liftBounce')}
            </Button>
          </div>
        </div>
      ),
    },
  ];

  return (
    <section
      className="campaign-mails"
      aria-label={t('campaign.mails.title', { name: campaign.name })}
    >
      <h2>{t('campaign.mails.title', { name: campaign.name })}</h2>
      {notice ? (
        <p role="status" className="campaign-notice">
          {notice}
        </p>
      ) : null}
      {error ? (
        <div className="alert alert-error" role="alert">
          <p>{error}</p>
        </div>
      ) : null}
      <h3>{t('campaign.mails.uncertain')}</h3>
      <p>{t('campaign.mails.uncertainIntro')}</p>
      <QueryState
        query={uncertain}
        isEmpty={(d) => d.items.length === 0}
        empty={<p>{t('campaign.mails.none')}</p>}
      >
        {(d) => (
          <DataTable
            label={t('campaign.mails.uncertain')}
            columns={uncertainColumns}
            rows={d.items}
            rowKey={(s) => s.subjectId}
          />
        )}
      </QueryState>
      <h3>{t('campaign.mails.bounced')}</h3>
      <p>{t('campaign.mails.bouncedIntro')}</p>
      <QueryState
        query={bounced}
        isEmpty={(d) => d.items.length === 0}
        empty={<p>{t('campaign.mails.none')}</p>}
      >
        {(d) => (
          <DataTable
            label={t('campaign.mails.bounced')}
            columns={bouncedColumns}
            rows={d.items}
            rowKey={(s) => s.subjectId}
          />
        )}
      </QueryState>
    </section>
  );
}
