-- Rules managed by their owners: rule officers publish new versions and retire rules through the
-- graph. Each version says who published it, when and why; rows loaded from the reference data
-- shipped with Hutong have no publisher. A retirement says who retired the rule, from which day
-- and why. valid_until is a version's last day in force (inclusive).
alter table acceptance_rule
  add column published_at        timestamptz,
  add column published_by_subject text,
  add column published_by_org    text,         -- USCC of the officer's authority
  add column published_by_region text,         -- a region code, or 'national' (the national rule office)
  add column publication_reason  text,
  add column retired_at          timestamptz,
  add column retired_from        date,         -- the first day the rule is no longer in force
  add column retired_by_subject  text,
  add column retired_by_org      text,
  add column retired_by_region   text,
  add column retirement_reason   text;

alter table invalidation_rule
  add column published_at        timestamptz,
  add column published_by_subject text,
  add column published_by_org    text,
  add column published_by_region text,
  add column publication_reason  text,
  add column retired_at          timestamptz,
  add column retired_from        date,
  add column retired_by_subject  text,
  add column retired_by_org      text,
  add column retired_by_region   text,
  add column retirement_reason   text;
