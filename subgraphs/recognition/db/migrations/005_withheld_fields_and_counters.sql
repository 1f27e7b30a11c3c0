-- What an acceptance rule does with a released field an open dispute (异议) contests: release it
-- flagged (every rule written before rules could say), or withhold it, named but without a value.
alter table acceptance_rule
  add column disputed_field_policy text not null default 'RELEASE_FLAGGED'
    check (disputed_field_policy in ('RELEASE_FLAGGED', 'WITHHOLD'));

-- Registered counters (窗口): verifiers whose staff may verify a credential for a holder without a
-- phone, in person. Reference data says which (it is reread at every start).
alter table verifier add column registered_counter boolean not null default false;

-- How the holder took part: a presentation code (every verification before counters), or in person
-- at a registered counter, with no code and with the consent the staff recorded.
alter table verification alter column code_jti drop not null;
alter table verification
  add column channel text not null default 'PRESENTATION_CODE'
    check (channel in ('PRESENTATION_CODE', 'COUNTER_ASSISTED')),
  add column counter_assistance jsonb;  -- { identityDocument, staffName, staffNumber } when COUNTER_ASSISTED
alter table verification add constraint verification_channel_code
  check ((channel = 'COUNTER_ASSISTED') = (code_jti is null and counter_assistance is not null));
