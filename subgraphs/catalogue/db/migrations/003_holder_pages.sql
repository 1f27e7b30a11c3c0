-- A holder's credentials are read a page at a time in the order (region, type, identifier), after
-- the key of the previous page's last entry: each page is one range of this index. It replaces
-- the index on the holder code alone, which it covers.
create index holder_index_holder_page_idx on holder_index (holder_code, region_code, type_code, credential_id);
drop index holder_index_holder_code_idx;
