-- National index (应归尽归): which credentials a holder has and where they live. No face data:
-- the records themselves stay in the issuing region's registry.
create table holder_index (
  credential_id text primary key,
  holder_code   text not null,
  holder_type   text not null,
  type_code     text not null,
  region_code   text not null,
  status        text not null,
  source_seq    bigint not null,         -- outbox sequence in the issuing registry
  updated_at    timestamptz not null default now()
);
create index holder_index_holder_code_idx on holder_index (holder_code);

-- How far the relay has read each registry's outbox.
create table relay_cursor (
  region_code text primary key,
  last_seq    bigint not null,
  updated_at  timestamptz not null default now()
);
