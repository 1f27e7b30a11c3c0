-- A cursor only means something in the database it was read from: keep the registry feed's epoch
-- with it. Null for cursors kept before epochs existed; the relay resynchronises those once.
alter table relay_cursor add column epoch text;

-- Resynchronising a region (its registry's database was replaced) rebuilds its rows under a new
-- generation while the old rows keep routing; the old generation's rows are removed only once
-- the whole new feed has been read. Generations come from one sequence, so they only grow.
create sequence index_generation;
alter table relay_cursor add column generation bigint not null default 0;
alter table holder_index add column generation bigint not null default 0;
create index holder_index_region_generation_idx on holder_index (region_code, generation);

-- A resync in progress (all null when none is): the epoch being read, how far, under which
-- generation, how many entries so far and since when. Kept here so a restart resumes it.
alter table relay_cursor add column resync_epoch text;
alter table relay_cursor add column resync_generation bigint;
alter table relay_cursor add column resync_seq bigint;
alter table relay_cursor add column resync_entries bigint;
alter table relay_cursor add column resync_started_at timestamptz;
