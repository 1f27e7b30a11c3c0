-- A credential's usage records and disputes are read a page at a time, newest first, after the
-- (time, id) of the previous page's last entry: each page is one range of these indexes. They
-- replace the indexes on the credential alone, which they cover.
create index usage_record_credential_page_idx on usage_record (credential_id, verified_at desc, id desc);
drop index usage_record_credential_idx;
create index dispute_credential_page_idx on dispute (credential_id, filed_at desc, id desc);
drop index dispute_credential_idx;
