-- Usage records (用证记录 / 留痕): every verification of this registry's credentials, written here
-- in the issuing region whatever the verdict. The id is the verification's id, so a redelivered
-- record is stored once.
create table usage_record (
  id                   text primary key,
  credential_id        text not null,
  verifier_org         text not null,
  verifier_name        text not null,
  verifier_region      text not null,
  operator             text not null,
  scenario             text not null,
  scenario_name        text not null,
  service_item_name    text not null,
  service_item_code    text not null,
  business_case_number text not null,
  released_fields      text[] not null,
  verdict              text not null,
  reasons              text[] not null,
  rule_id              text,
  rule_version         integer,
  verified_at          timestamptz not null,
  recorded_at          timestamptz not null default now()
);
create index usage_record_credential_idx on usage_record (credential_id, verified_at desc);

-- Disputes (异议) on a credential field, resolved by the issuing region's issuer.
create table dispute (
  id                text primary key,
  credential_id     text not null,
  field             text not null,
  claim             text not null,
  filed_by_role     text not null,
  filed_by          text not null,
  status            text not null check (status in ('OPEN', 'CORRECTED', 'REJECTED')),
  resolution        text,
  corrected_id      text,
  filed_at          timestamptz not null default now(),
  resolved_at       timestamptz
);
create index dispute_credential_idx on dispute (credential_id);

-- Every status change and correction, with who did it and why.
create table credential_event (
  seq           bigserial primary key,
  credential_id text not null,
  action        text not null,
  from_status   text,
  to_status     text,
  reason        text not null,
  actor_org     text,
  actor         text,
  at            timestamptz not null default now()
);
create index credential_event_credential_idx on credential_event (credential_id);

-- A correction issues a new version (a new identifier); the old record points to it.
alter table credential add column superseded_by text;
