-- Analysts' figures of verifications: by day (China date), scenario, verdict, accepting and issuing
-- region, kept by a statement-level trigger in the verification's own transaction, so reading them
-- never counts the verification table. Verifications are never changed in these columns; when
-- retention deletes old ones, their figures stay, as history.
create table verification_figure (
  day              date not null,
  scenario         text not null,
  verdict          text not null,
  accepting_region text not null,
  issuing_region   text not null,
  count            bigint not null,
  primary key (day, scenario, verdict, accepting_region, issuing_region)
);

create function verification_figure_add() returns trigger language plpgsql as $$
begin
  insert into verification_figure as f (day, scenario, verdict, accepting_region, issuing_region, count)
  select (checked_at at time zone 'Asia/Shanghai')::date, scenario, verdict, verifier_region, issuing_region, count(*)
  from new_rows group by 1, 2, 3, 4, 5
  on conflict (day, scenario, verdict, accepting_region, issuing_region) do update set count = f.count + excluded.count;
  return null;
end $$;

create trigger verification_figure_on_insert after insert on verification
  referencing new table as new_rows for each statement execute function verification_figure_add();

insert into verification_figure (day, scenario, verdict, accepting_region, issuing_region, count)
select (checked_at at time zone 'Asia/Shanghai')::date, scenario, verdict, verifier_region, issuing_region, count(*)
from verification group by 1, 2, 3, 4, 5;
