/**
 * The campaigns module's access-log events. Starting a campaign is one processing of its audience
 * (the number of people, as an audience export logs its rows); its end records how many were sent,
 * skipped and failed. A bounce or complaint fed back is recorded with the person's id.
 */
import { z } from 'zod';
import { auditData, defineAuditEvent, type AuditEventMap } from '../audit/index.ts';
import { FEEDBACK_TYPES } from './model.ts';

export const campaignEvents = [
  defineAuditEvent('campaign.create', z.strictObject({ campaign: auditData.id() }), {
    sv: () => 'En kampanj skapades',
    fi: () => 'Kampanja luotiin',
    en: () => 'A campaign was created',
  }),
  defineAuditEvent(
    'campaign.start',
    z.strictObject({
      campaign: auditData.id(),
      channel: auditData.code(),
      recipients: auditData.count(),
    }),
    {
      sv: (d) => `En kampanj startades på kanalen ${d.channel}: ${d.recipients} mottagare`,
      fi: (d) => `Kampanja käynnistettiin kanavalla ${d.channel}: ${d.recipients} vastaanottajaa`,
      en: (d) => `A campaign was started on channel ${d.channel}: ${d.recipients} recipients`,
    },
  ),
  defineAuditEvent(
    'campaign.control',
    z.strictObject({
      campaign: auditData.id(),
      to: z.enum(['sending', 'paused', 'cancelled']),
      /** Set when the register paused it itself: `send_job_gave_up`, `public_url_not_https`. */
      reason: auditData.code().optional(),
    }),
    {
      sv: (d) =>
        ({
          sending: 'En kampanj återupptogs',
          paused: 'En kampanj pausades',
          cancelled: 'En kampanj avbröts',
        })[d.to],
      fi: (d) =>
        ({
          sending: 'Kampanjan lähetystä jatkettiin',
          paused: 'Kampanja keskeytettiin tauolle',
          cancelled: 'Kampanja peruttiin',
        })[d.to],
      en: (d) =>
        ({
          sending: 'A campaign was resumed',
          paused: 'A campaign was paused',
          cancelled: 'A campaign was cancelled',
        })[d.to],
    },
  ),
  defineAuditEvent(
    'campaign.finish',
    z.strictObject({
      campaign: auditData.id(),
      sent: auditData.count(),
      skipped: auditData.count(),
      failed: auditData.count(),
      /** Mails the SMTP server may or may not have taken (0031; absent from earlier events). */
      uncertain: auditData.count().optional(),
    }),
    {
      sv: (d) =>
        `En kampanj blev klar: ${d.sent} skickade, ${d.skipped} hoppades över, ${d.failed} misslyckades${d.uncertain ? `, ${d.uncertain} med okänt utfall` : ''}`,
      fi: (d) =>
        `Kampanja valmistui: ${d.sent} lähetetty, ${d.skipped} ohitettu, ${d.failed} epäonnistui${d.uncertain ? `, ${d.uncertain} lopputulos epävarma` : ''}`,
      en: (d) =>
        `A campaign finished: ${d.sent} sent, ${d.skipped} skipped, ${d.failed} failed${d.uncertain ? `, ${d.uncertain} uncertain` : ''}`,
    },
  ),
  defineAuditEvent(
    'campaign.feedback',
    z.strictObject({
      campaign: auditData.id(),
      type: z.enum(FEEDBACK_TYPES),
      /** The report quoted a copy mailed before staff requeued it (absent: the mail's own). */
      copy: z.literal('earlier').optional(),
    }),
    {
      sv: (d) =>
        (d.type === 'bounce'
          ? 'En kampanjs e-post till personen studsade'
          : 'Personen anmälde en kampanjs e-post som skräppost') +
        (d.copy ? ' (ett tidigare exemplar)' : ''),
      fi: (d) =>
        (d.type === 'bounce'
          ? 'Kampanjan viesti henkilölle palautui'
          : 'Henkilö ilmoitti kampanjan viestin roskapostiksi') +
        (d.copy ? ' (aiempi kappale)' : ''),
      en: (d) =>
        (d.type === 'bounce'
          ? "A campaign's mail to the person bounced"
          : "The person reported a campaign's mail as spam") + (d.copy ? ' (an earlier copy)' : ''),
    },
  ),
  defineAuditEvent(
    'campaign.send_resolve',
    z.strictObject({
      campaign: auditData.id(),
      /** sent, failed (staff checked the mail server) or queued (to be sent again). */
      to: z.enum(['sent', 'failed', 'queued']),
    }),
    {
      sv: (d) =>
        ({
          sent: 'Personal bekräftade att en kampanjs e-post med okänt utfall skickades',
          failed: 'Personal bekräftade att en kampanjs e-post med okänt utfall inte levererades',
          queued: 'Personal köade en kampanjs e-post med okänt utfall för att skickas igen',
        })[d.to],
      fi: (d) =>
        ({
          sent: 'Henkilöstö vahvisti epävarman kampanjaviestin lähetetyksi',
          failed: 'Henkilöstö vahvisti, ettei epävarmaa kampanjaviestiä toimitettu',
          queued: 'Henkilöstö asetti epävarman kampanjaviestin jonoon lähetettäväksi uudelleen',
        })[d.to],
      en: (d) =>
        ({
          sent: 'Staff confirmed an uncertain campaign mail as sent',
          failed: 'Staff confirmed an uncertain campaign mail as not delivered',
          queued: 'Staff queued an uncertain campaign mail to be sent again',
        })[d.to],
    },
  ),
  defineAuditEvent('campaign.bounce_lift', z.strictObject({ campaign: auditData.id() }), {
    sv: () => 'Personal hävde spärren efter en studsad kampanjs e-post i förtid',
    fi: () => 'Henkilöstö poisti palautuneen kampanjaviestin eston ennen aikojaan',
    en: () => "Staff lifted a campaign mail's bounce suppression early",
  }),
] as const;

declare module '../audit/define-event.ts' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface AuditEventTypes extends AuditEventMap<typeof campaignEvents> {}
}
