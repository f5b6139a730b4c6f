-- Gives the people of a benchmark database a realistic permission ledger, by the hash of each id
-- (the same on every run): 60 % granted the newsletter by e-mail, 5 % withdrew it, 2 % objected
-- to all direct marketing, 3 % refused market research. Imported, as from an e-mail service's list.
begin;
with people as (
  select id, abs(hashtext(id::text)) % 100 as b from subjects where erased_at is null and held_purpose is null
), rows as (
  select id, 'newsletter' as kind, 'email' as channel, 'granted' as state from people where b < 60
  union all select id, 'newsletter', 'email', 'withdrawn' from people where b >= 60 and b < 65
  union all select id, 'direct_marketing', '*', 'objected' from people where b >= 65 and b < 67
  union all select id, 'market_research', '*', 'refused' from people where b >= 67 and b < 70
)
insert into permission_history (subject_id, kind, channel, state, previous_state, given_at, recorded_at, method, reference, actor)
select id, kind, channel, state, null, now() - interval '30 days', now(), 'import', 'bench-ledger', 'operator:cli' from rows;
insert into permission_states (subject_id, kind, channel, state, changed_at, history_id)
select subject_id, kind, channel, state, given_at, id from permission_history;
commit;
analyze permission_history;
analyze permission_states;
