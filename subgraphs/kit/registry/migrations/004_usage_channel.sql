-- How the holder took part in each use: a presentation code from their own phone (every record
-- stored before channels), or in person at a registered counter, whose staff checked an identity
-- document and took the holder's consent. The counter's columns are set exactly for the latter.
alter table usage_record
  add column channel text not null default 'PRESENTATION_CODE'
    check (channel in ('PRESENTATION_CODE', 'COUNTER_ASSISTED')),
  add column counter_identity_document text,
  add column counter_staff_name text,
  add column counter_staff_number text;
alter table usage_record add constraint usage_record_counter_assistance
  check ((channel = 'COUNTER_ASSISTED') = (counter_identity_document is not null and counter_staff_name is not null and counter_staff_number is not null));
