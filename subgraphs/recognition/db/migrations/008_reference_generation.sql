-- Every verification needs the scenarios, the verifier and the rules in force. Rather than read
-- them all for each one, a process keeps them and reads this one number: any change to those
-- tables (a rule published or retired, reference data reloaded) moves it in the same
-- transaction, so a process sees the new rules with the very commit that made them.
create table reference_generation (
  singleton boolean primary key default true check (singleton),
  generation bigint not null
);
insert into reference_generation (singleton, generation) values (true, 1);

create function bump_reference_generation() returns trigger language plpgsql as $$
begin
  update reference_generation set generation = generation + 1;
  return null;
end
$$;

create trigger scenario_generation after insert or update or delete or truncate on scenario
  for each statement execute function bump_reference_generation();
create trigger verifier_generation after insert or update or delete or truncate on verifier
  for each statement execute function bump_reference_generation();
create trigger acceptance_rule_generation after insert or update or delete or truncate on acceptance_rule
  for each statement execute function bump_reference_generation();
create trigger invalidation_rule_generation after insert or update or delete or truncate on invalidation_rule
  for each statement execute function bump_reference_generation();
