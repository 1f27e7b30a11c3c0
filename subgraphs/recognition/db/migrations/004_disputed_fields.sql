-- Which fields had an open dispute (异议) when a verification was made: released values among them
-- are flagged to the verifier.
alter table verification add column disputed_fields text[] not null default '{}';
