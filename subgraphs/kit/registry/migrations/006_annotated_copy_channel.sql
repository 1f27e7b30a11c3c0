-- An annotated copy (加注件) a verifier takes is a use of the credential of its own: its usage
-- record has the channel ANNOTATED_COPY.
alter table usage_record drop constraint usage_record_channel_check;
alter table usage_record add constraint usage_record_channel_check
  check (channel in ('PRESENTATION_CODE', 'COUNTER_ASSISTED', 'ANNOTATED_COPY'));
