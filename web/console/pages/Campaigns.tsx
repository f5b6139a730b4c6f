/**
 * Campaigns (docs/campaigns.md), for roles with export_audiences: draft a mail to a marketing
 * purpose's audience in Swedish, Finnish and English, see the audience's size, start, pause or
 * cancel it, and follow its progress. The server checks each person's permission right before
 * their mail and records what became of it.
 */
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { ApiError, type Campaign } from '../../shared/api.ts';
import { useApi } from '../../shared/api-context.tsx';
import {
  Button,
  DataTable,
  PageHeading,
  QueryState,
  SelectField,
  TextAreaField,
  TextField,
  type Column,
} from '../../shared/ui.tsx';
import { useI18n } from '../i18n.ts';
import { useReadablePurposes } from '../purpose.tsx';
import { useDefinition } from '../session.tsx';
import { CampaignMails } from './CampaignMails.tsx';

const LANGS = ['fi', 'sv', 'en'] as const;
type Lang = (typeof LANGS)[number];

export function CampaignsPage() {
  const api = useApi();
  const queryClient = useQueryClient();
  const { t, loc } = useI18n();
  const definition = useDefinition();
  const purposes = useReadablePurposes(definition.data).filter((p) => p.permission);
  const [purposeId, setPurposeId] = useState('');
  const purpose = purposes.find((p) => p.id === purposeId) ?? purposes[0];
  const channels = purpose?.permission?.channels.map((c) => c.channel) ?? [];
  const [channelId, setChannelId] = useState('');
  const channel = channels.includes(channelId) ? channelId : (channels[0] ?? '');
  const [name, setName] = useState('');
  const [texts, setTexts] = useState<Record<Lang, { subject: string; body: string }>>({
    fi: { subject: '', body: '' },
    sv: { subject: '', body: '' },
    en: { subject: '', body: '' },
  });
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  /** The campaign whose uncertain and bounced mails are shown. */
  const [reviewing, setReviewing] = useState<string | null>(null);

  const campaigns = useQuery({
    queryKey: ['campaigns'],
    queryFn: () => api.listCampaigns(),
    staleTime: 0,
    // Progress while one is sending.
    refetchInterval: (q) => (q.state.data?.items.some((c) => c.state === 'sending') ? 1000 : false),
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

  const channelLabel = (id: string) =>
    loc(definition.data?.marketing.channels.find((c) => c.id === id)?.label, id);
  const purposeLabel = (id: string) =>
    loc(definition.data?.purposes.find((p) => p.id === id)?.label, id);

  const onCreate = async (e: FormEvent) => {
    e.preventDefault();
    setBusy('create');
    setError(null);
    setNotice(null);
    try {
      const content: Partial<Record<Lang, { subject: string; body: string }>> = {};
      for (const l of LANGS) {
        if (texts[l].subject.trim() || texts[l].body.trim()) {
          content[l] = texts[l];
        }
      }
      const created = await api.createCampaign({
        name,
        purpose: purpose?.id ?? '',
        channel,
        filters: [],
        content,
      });
      const { count, fewerThan } = await api.countCampaign(created.id);
      setNotice(
        t('campaign.drafted', {
          count: fewerThan === undefined ? String(count) : `< ${fewerThan}`,
        }),
      );
      await queryClient.invalidateQueries({ queryKey: ['campaigns'] });
    } catch (err) {
      setError(explain(err));
    } finally {
      setBusy(null);
    }
  };

  const control = async (c: Campaign, action: 'start' | 'pause' | 'cancel') => {
    setBusy(`${c.id}:${action}`);
    setError(null);
    setNotice(null);
    try {
      await api.controlCampaign(c.id, action);
      await queryClient.invalidateQueries({ queryKey: ['campaigns'] });
    } catch (err) {
      setError(explain(err));
    } finally {
      setBusy(null);
    }
  };

  const columns: Column<Campaign>[] = [
    { id: 'name', header: t('campaign.name'), cell: (c) => c.name },
    {
      id: 'purpose',
      header: t('purpose.label'),
      cell: (c) => `${purposeLabel(c.purpose)} · ${channelLabel(c.channel)}`,
    },
    {
      id: 'state',
      header: t('campaign.state'),
      cell: (c) => (
        <>
          <span data-state={c.state}>{t(`campaign.state.${c.state}`)}</span>
          {c.state === 'paused' && c.reason ? (
            <>
              {' '}
              <span className="campaign-reason">
                {t('campaign.pausedReason', { reason: c.reason })}
              </span>
            </>
          ) : null}
        </>
      ),
    },
    {
      id: 'progress',
      header: t('campaign.progress'),
      cell: (c) => (
        <span className="campaign-progress">
          {t('campaign.progressText', {
            sent: String(c.progress.sent),
            total: String(c.progress.total),
            skipped: String(c.progress.skipped),
            failed: String(c.progress.failed + c.progress.bounced),
          })}
          {c.progress.uncertain > 0 ? (
            <>
              {' '}
              <span className="campaign-uncertain" data-uncertain={c.progress.uncertain}>
                {t('campaign.progressUncertain', { uncertain: String(c.progress.uncertain) })}
              </span>
            </>
          ) : null}
        </span>
      ),
    },
    {
      id: 'actions',
      header: t('campaign.actions'),
      cell: (c) => (
        <div className="actions">
          {c.state === 'draft' || c.state === 'paused' ? (
            <Button
              busy={busy === `${c.id}:start`}
              onClick={() => void control(c, 'start')}
              aria-label={`${t(c.state === 'draft' ? 'campaign.start' : 'campaign.resume')}: ${c.name}`}
            >
              {t(c.state === 'draft' ? 'campaign.start' : 'campaign.resume')}
            </Button>
          ) : null}
          {c.state === 'sending' ? (
            <Button
              variant="secondary"
              busy={busy === `${c.id}:pause`}
              onClick={() => void control(c, 'pause')}
              aria-label={`${t('campaign.pause')}: ${c.name}`}
            >
              {t('campaign.pause')}
            </Button>
          ) : null}
          {c.progress.uncertain > 0 || c.progress.bounced > 0 ? (
            <Button
              variant="secondary"
              onClick={() => setReviewing(reviewing === c.id ? null : c.id)}
              aria-label={`${t('campaign.mails.review')}: ${c.name}`}
              aria-expanded={reviewing === c.id}
            >
              {t('campaign.mails.review')}
            </Button>
          ) : null}
          {c.state === 'draft' ||
          c.state === 'starting' ||
          c.state === 'sending' ||
          c.state === 'paused' ? (
            <Button
              variant="secondary"
              busy={busy === `${c.id}:cancel`}
              onClick={() => void control(c, 'cancel')}
              aria-label={`${t('campaign.cancel')}: ${c.name}`}
            >
              {t('campaign.cancel')}
            </Button>
          ) : null}
        </div>
      ),
    },
  ];

  if (definition.data && purposes.length === 0) {
    return (
      <section className="page">
        <PageHeading title={t('campaign.title')}>{t('campaign.title')}</PageHeading>
        <p>{t('audience.noPurposes')}</p>
      </section>
    );
  }

  return (
    <section className="page">
      <PageHeading title={t('campaign.title')}>{t('campaign.title')}</PageHeading>
      <p>{t('campaign.intro')}</p>
      <QueryState
        query={campaigns}
        isEmpty={(data) => data.items.length === 0}
        empty={<p>{t('campaign.none')}</p>}
      >
        {(data) => {
          const shown = data.items.find((c) => c.id === reviewing);
          return (
            <>
              <DataTable
                label={t('campaign.title')}
                columns={columns}
                rows={data.items}
                rowKey={(c) => c.id}
              />
              {shown ? <CampaignMails key={shown.id} campaign={shown} /> : null}
            </>
          );
        }}
      </QueryState>
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
      <h2>{t('campaign.new')}</h2>
      <form onSubmit={(e) => void onCreate(e)} className="stack">
        <TextField
          id="campaign-name"
          label={t('campaign.name')}
          value={name}
          onChange={(e) => setName(e.target.value)}
        />
        <SelectField
          id="campaign-purpose"
          label={t('purpose.label')}
          value={purpose?.id ?? ''}
          onChange={(e) => setPurposeId(e.target.value)}
        >
          {purposes.map((p) => (
            <option key={p.id} value={p.id}>
              {loc(p.label, p.id)}
            </option>
          ))}
        </SelectField>
        <SelectField
          id="campaign-channel"
          label={t('audience.channel')}
          value={channel}
          onChange={(e) => setChannelId(e.target.value)}
        >
          {channels.map((c) => (
            <option key={c} value={c}>
              {channelLabel(c)}
            </option>
          ))}
        </SelectField>
        {LANGS.map((l) => (
          <fieldset key={l} lang={l}>
            <legend>{t(`campaign.text.${l}`)}</legend>
            <TextField
              id={`campaign-subject-${l}`}
              label={t('campaign.subject')}
              value={texts[l].subject}
              onChange={(e) =>
                setTexts({ ...texts, [l]: { ...texts[l], subject: e.target.value } })
              }
            />
            <TextAreaField
              id={`campaign-body-${l}`}
              label={t('campaign.body')}
              rows={6}
              value={texts[l].body}
              onChange={(e) => setTexts({ ...texts, [l]: { ...texts[l], body: e.target.value } })}
            />
          </fieldset>
        ))}
        <div className="actions">
          <Button type="submit" busy={busy === 'create'}>
            {t('campaign.create')}
          </Button>
        </div>
      </form>
    </section>
  );
}
