-- Annotated copies (加注件) taken by verifiers: one per verification. The copy itself is the
-- signed token (the PDF is made from it again when needed); its usage record goes to the issuing
-- registry through the usage outbox, under the copy's id.
create table annotated_copy (
  id              text primary key,
  verification_id text not null unique,
  verifier_org    text not null,
  issued_at       timestamptz not null,
  valid_until     date not null,
  token           text not null
);
