-- The usage relay keeps one queue per issuing registry, delivered in creation order.
-- seq breaks ties between records created at the same instant (created_at is the transaction's time).
alter table usage_outbox add column seq bigserial;
-- Not before this time: a verification still delivering its own record holds it for what remains
-- of its deadline, so the relay does not send it a second time meanwhile.
alter table usage_outbox add column next_attempt_at timestamptz not null default now();
-- "Pending records of region R, oldest first": only undelivered rows are indexed.
create index usage_outbox_pending_idx on usage_outbox (region_code, created_at, seq) where delivered_at is null;

-- Per registry: consecutive failed deliveries and the backoff they earned. A row with no
-- failures (or none at all) means the relay may try the registry now.
create table usage_relay_region (
  region_code     text primary key,
  failures        integer not null default 0,
  last_error      text,
  last_failure_at timestamptz,
  next_attempt_at timestamptz
);
