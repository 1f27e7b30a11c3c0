-- The epoch of this database's catalogue feed: a random id made once, when the database is made.
-- Outbox sequence numbers only mean something within one database; a replaced database (restored,
-- moved, re-seeded) numbers its outbox afresh, and the catalogue's relay tells it apart by this id.
create table feed_epoch (
  id         integer primary key check (id = 1),
  epoch      text not null default gen_random_uuid()::text,
  created_at timestamptz not null default now()
);
insert into feed_epoch (id) values (1);
