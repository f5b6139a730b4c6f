/**
 * At an erasure, a first copy's late bounce (a `bounced` row of `campaign_send_events`, 0044) of
 * the people erased, not lifted since, is kept as an address-only suppression
 * (`campaign_bounces`, 0045): the keyed blind index and the time, never the person. Shared by the
 * single erasure (subjectsRepo.erase) and the retention sweep's (expire.ts), so both agree.
 */
import { sql, type RawBuilder } from 'kysely';

export function keepCampaignBounces(ids: RawBuilder<unknown>): RawBuilder<unknown> {
  return sql`insert into campaign_bounces (recipient_index, at)
    select b.recipient_index, b.at from campaign_send_events b
     where b.subject_id = any(${ids}) and b.action = 'bounced' and b.recipient_index is not null
       and not exists (select 1 from campaign_send_events l
                        where l.action = 'bounce_lifted' and l.recipient_index = b.recipient_index
                          and l.at >= b.at)`;
}
