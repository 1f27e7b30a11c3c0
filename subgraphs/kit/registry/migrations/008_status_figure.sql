-- Credentials by stored status alone, for the region's totals (credentialCount and
-- credentialCountByStatus). Summing credential_figure for them read every cell, and its cells grow
-- with the months of issue and expiry (2,915 at 10k credentials, 7,115 at 10m): the count's p50
-- doubled from 10k to 10m. Here a status has at most 16 rows at any size. Each statement adds to
-- one of its status's 16 slots, picked at random, so concurrent issuers rarely wait on one row
-- (a single row per status would serialise every issuance and status change of the region).
create table credential_status_figure (
  status text not null,
  slot   smallint not null,
  count  bigint not null,
  primary key (status, slot)
);

create function credential_status_figure_apply() returns trigger language plpgsql as $$
declare
  chosen smallint := floor(random() * 16)::smallint;
begin
  -- Only the transition tables of the statement's own kind exist: each branch reads its own.
  if tg_op = 'INSERT' then
    insert into credential_status_figure as f (status, slot, count)
    select status, chosen, count(*) from new_rows group by status
    on conflict (status, slot) do update set count = f.count + excluded.count;
  elsif tg_op = 'DELETE' then
    insert into credential_status_figure as f (status, slot, count)
    select status, chosen, -count(*) from old_rows group by status
    on conflict (status, slot) do update set count = f.count + excluded.count;
  else
    insert into credential_status_figure as f (status, slot, count)
    select d.status, chosen, sum(d.delta)
    from (select status, 1 as delta from new_rows union all select status, -1 from old_rows) d
    group by d.status
    having sum(d.delta) <> 0
    on conflict (status, slot) do update set count = f.count + excluded.count;
  end if;
  return null;
end $$;

create trigger credential_status_figure_on_insert after insert on credential
  referencing new table as new_rows for each statement execute function credential_status_figure_apply();
create trigger credential_status_figure_on_delete after delete on credential
  referencing old table as old_rows for each statement execute function credential_status_figure_apply();
create trigger credential_status_figure_on_update after update on credential
  referencing old table as old_rows new table as new_rows for each statement execute function credential_status_figure_apply();

-- The cells are exact (kept in the same transactions): the totals start from them, not from a scan.
insert into credential_status_figure (status, slot, count)
select status, 0, sum(count) from credential_figure group by status having sum(count) <> 0;
