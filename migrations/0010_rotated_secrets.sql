-- Secret rotation (issue 15): every secret rotated out within the overlap keeps signing, not
-- only the latest one (at most 5 live: endpoints::MAX_LIVE_SECRETS).
create table endpoint_secrets (
    endpoint_id text not null references endpoints (id) on delete cascade,
    secret_enc  blob not null,                -- nonce ‖ XChaCha20-Poly1305 ciphertext
    expires_at  integer not null              -- stops signing then
) strict;
create index endpoint_secrets_endpoint on endpoint_secrets (endpoint_id, expires_at);
insert into endpoint_secrets (endpoint_id, secret_enc, expires_at)
select id, previous_secret_enc, previous_expires_at from endpoints
where previous_secret_enc is not null and previous_expires_at is not null;
alter table endpoints drop column previous_secret_enc;
alter table endpoints drop column previous_expires_at;
