-- A regional registry: the full record of every credential its region issued.
create table credential (
  id             text primary key,          -- GB/T 36904 identifier
  type_code      text not null,
  serial         text not null,
  version        integer not null,
  number         text not null,             -- number printed on the licence
  name           text not null,             -- licence name as printed
  issuer_code    text not null,             -- issuing authority USCC
  issuer_name    text not null,
  issue_date     date not null,
  effective_date date not null,
  expiry_date    date,                      -- null: long-term (长期)
  area_code      text not null,
  holder_name    text not null,
  holder_code    text not null,
  holder_type    text not null check (holder_type in ('111', '001')),
  status         text not null check (status in ('01', '02', '03', '04', '05', '06', '07', '99')),
  face           jsonb not null default '{}',
  updated_at     timestamptz not null default now()
);
create index credential_holder_code_idx on credential (holder_code);

-- Transactional outbox to the national catalogue index (应归尽归): written in the same
-- transaction as the credential change, read by the catalogue's relay, never deleted on read.
-- Carries no face data: only what the index needs to route a holder's credentials.
create table catalogue_outbox (
  seq           bigserial primary key,
  credential_id text not null,
  holder_code   text not null,
  holder_type   text not null,
  type_code     text not null,
  status        text not null,
  occurred_at   timestamptz not null default now()
);

-- How far the deterministic seed has written, so an interrupted large seed resumes.
create table registry_seed (
  id          integer primary key check (id = 1),
  seeded_upto integer not null
);
