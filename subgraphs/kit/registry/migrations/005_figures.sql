-- Analysts' figures, kept up to date by statement-level triggers in the same transaction as the
-- change, so that reading them never counts the credential or dispute tables (a million rows per
-- region). Statement-level triggers with transition tables add one grouped upsert per statement,
-- not one per row, which keeps bulk seeding fast.

-- Credentials by type × stored status × issue month × expiry month. The expiry month lets a reader
-- count VALID credentials already past expiry as EXPIRED, as the status "as of now" does.
create table credential_figure (
  type_code    text not null,
  status       text not null,
  issue_month  date not null,                 -- first day of the month of issue
  expiry_month date not null,                 -- first day of the month of expiry; 'infinity' for long-term
  count        bigint not null,
  primary key (type_code, status, issue_month, expiry_month)
);

create function credential_figure_add() returns trigger language plpgsql as $$
begin
  insert into credential_figure as f (type_code, status, issue_month, expiry_month, count)
  select d.type_code, d.status, d.issue_month, d.expiry_month, sum(d.delta)
  from (
    select type_code, status, date_trunc('month', issue_date)::date as issue_month,
           coalesce(date_trunc('month', expiry_date)::date, 'infinity'::date) as expiry_month, 1 as delta
    from new_rows
  ) d
  group by 1, 2, 3, 4
  on conflict (type_code, status, issue_month, expiry_month) do update set count = f.count + excluded.count;
  return null;
end $$;

create function credential_figure_remove() returns trigger language plpgsql as $$
begin
  update credential_figure f set count = f.count - d.n
  from (
    select type_code, status, date_trunc('month', issue_date)::date as issue_month,
           coalesce(date_trunc('month', expiry_date)::date, 'infinity'::date) as expiry_month, count(*) as n
    from old_rows group by 1, 2, 3, 4
  ) d
  where (f.type_code, f.status, f.issue_month, f.expiry_month) = (d.type_code, d.status, d.issue_month, d.expiry_month);
  return null;
end $$;

create function credential_figure_change() returns trigger language plpgsql as $$
begin
  insert into credential_figure as f (type_code, status, issue_month, expiry_month, count)
  select d.type_code, d.status, d.issue_month, d.expiry_month, sum(d.delta)
  from (
    select type_code, status, date_trunc('month', issue_date)::date as issue_month,
           coalesce(date_trunc('month', expiry_date)::date, 'infinity'::date) as expiry_month, 1 as delta
    from new_rows
    union all
    select type_code, status, date_trunc('month', issue_date)::date,
           coalesce(date_trunc('month', expiry_date)::date, 'infinity'::date), -1
    from old_rows
  ) d
  group by 1, 2, 3, 4
  having sum(d.delta) <> 0
  on conflict (type_code, status, issue_month, expiry_month) do update set count = f.count + excluded.count;
  return null;
end $$;

create trigger credential_figure_on_insert after insert on credential
  referencing new table as new_rows for each statement execute function credential_figure_add();
create trigger credential_figure_on_delete after delete on credential
  referencing old table as old_rows for each statement execute function credential_figure_remove();
create trigger credential_figure_on_update after update on credential
  referencing old table as old_rows new table as new_rows for each statement execute function credential_figure_change();

insert into credential_figure (type_code, status, issue_month, expiry_month, count)
select type_code, status, date_trunc('month', issue_date)::date,
       coalesce(date_trunc('month', expiry_date)::date, 'infinity'::date), count(*)
from credential group by 1, 2, 3, 4;

-- Disputes by month filed × status, with the total time the resolved ones took. Disputes are never
-- deleted; were they, their figures would stay, as history.
create table dispute_figure (
  filed_month     date not null,
  status          text not null,
  count           bigint not null,
  resolve_seconds double precision not null,  -- sum over the resolved disputes of the cell
  primary key (filed_month, status)
);

create function dispute_figure_apply() returns trigger language plpgsql as $$
begin
  insert into dispute_figure as f (filed_month, status, count, resolve_seconds)
  select d.filed_month, d.status, sum(d.delta), sum(d.seconds)
  from (
    select date_trunc('month', filed_at at time zone 'Asia/Shanghai')::date as filed_month, status, 1 as delta,
           coalesce(extract(epoch from resolved_at - filed_at)::float8, 0) as seconds
    from new_rows
    union all
    select date_trunc('month', filed_at at time zone 'Asia/Shanghai')::date, status, -1,
           -coalesce(extract(epoch from resolved_at - filed_at)::float8, 0)
    from old_rows
  ) d
  group by 1, 2
  on conflict (filed_month, status) do update
    set count = f.count + excluded.count, resolve_seconds = f.resolve_seconds + excluded.resolve_seconds;
  return null;
end $$;

create function dispute_figure_add() returns trigger language plpgsql as $$
begin
  insert into dispute_figure as f (filed_month, status, count, resolve_seconds)
  select date_trunc('month', filed_at at time zone 'Asia/Shanghai')::date, status, count(*),
         coalesce(sum(extract(epoch from resolved_at - filed_at)::float8), 0)
  from new_rows group by 1, 2
  on conflict (filed_month, status) do update
    set count = f.count + excluded.count, resolve_seconds = f.resolve_seconds + excluded.resolve_seconds;
  return null;
end $$;

create trigger dispute_figure_on_insert after insert on dispute
  referencing new table as new_rows for each statement execute function dispute_figure_add();
create trigger dispute_figure_on_update after update on dispute
  referencing old table as old_rows new table as new_rows for each statement execute function dispute_figure_apply();

insert into dispute_figure (filed_month, status, count, resolve_seconds)
select date_trunc('month', filed_at at time zone 'Asia/Shanghai')::date, status, count(*),
       coalesce(sum(extract(epoch from resolved_at - filed_at)::float8), 0)
from dispute group by 1, 2;

-- Valid credentials expiring this month are counted as expired from the day after their expiry
-- date: this index keeps that one small count quick.
create index credential_valid_expiry_idx on credential (expiry_date) where status = '01';
