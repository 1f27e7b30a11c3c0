-- Service items (用证事项) credentials are used for.
create table scenario (
  code              text primary key,
  name              text not null,
  name_zh           text not null,
  service_item_code text not null
);

-- Registered verifier organisations (using units) and the scenarios they may verify.
create table verifier (
  organisation text primary key,   -- USCC
  name         text not null,
  region       text not null,
  province     text not null,
  scenarios    text[] not null
);

-- Acceptance rules of the verifying side, as versioned data (modelled on the use-scenario lists, 用证清单).
create table acceptance_rule (
  id                      text not null,
  version                 integer not null,
  accepting_region        text,            -- null: national rule, any region
  accepting_provinces     text[],          -- null: the whole region
  scenario                text not null,
  credential_type         text not null,   -- GB/T 36904 type code
  issuing_provinces       text[],          -- null: any issuing province
  accepted_statuses       text[] not null, -- CredentialStatus names
  require_within_validity boolean not null,
  released_fields         jsonb not null,  -- [{ field, retain, masked }]
  valid_from              date not null,
  valid_until             date,
  legal_basis             text not null,
  primary key (id, version)
);

-- Invalidation rules published by issuing provinces.
create table invalidation_rule (
  id                text not null,
  version           integer not null,
  issuing_provinces text[] not null,
  credential_type   text not null,
  scenarios         text[],                -- null: every scenario
  statuses          text[] not null,
  valid_from        date not null,
  valid_until       date,
  legal_basis       text not null,
  primary key (id, version)
);

-- Presentation codes (扫码亮证): what the signed code stands for, and whether it was used.
create table presentation_code (
  jti           text primary key,
  credential_id text not null,
  holder_code   text not null,
  scenario      text,
  expires_at    timestamptz not null,
  created_at    timestamptz not null default now(),
  consumed_at   timestamptz,
  consumed_by   text
);

-- Every verification with its verdict and rule trace, for the verifier and for audits.
create table verification (
  id              text primary key,
  code_jti        text not null,
  credential_id   text not null,
  issuing_region  text not null,
  verifier_org    text not null,
  verifier_region text not null,
  scenario        text not null,
  context         jsonb not null,
  verdict         text not null,
  reasons         text[] not null,
  rule_id         text,
  rule_version    integer,
  disputed        boolean not null,
  released_fields jsonb not null,
  trace           jsonb not null,
  usage_recorded  boolean not null,
  checked_at      timestamptz not null
);
create index verification_verifier_idx on verification (verifier_org, checked_at desc);

-- Usage records not yet delivered to their issuing registry (it was unreachable): retried until stored.
create table usage_outbox (
  verification_id text primary key,
  region_code     text not null,
  record          jsonb not null,
  attempts        integer not null default 0,
  last_error      text,
  created_at      timestamptz not null default now(),
  delivered_at    timestamptz
);
