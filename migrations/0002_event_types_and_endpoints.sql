create table event_types (
    name        text primary key,
    description text not null default '',
    example     text,                 -- JSON payload, shown in the dashboard and used by test sends
    archived_at integer,
    created_at  integer not null,
    updated_at  integer not null
) strict;

create table endpoints (
    id                 text primary key,
    name               text not null,
    url                text not null,
    description        text not null default '',
    events             text not null,             -- JSON array of patterns: "a.b", "a.*", "*"
    channels           text,                      -- JSON array, or null for every channel
    enabled            integer not null default 1,
    headers            text not null default '{}',-- JSON object of custom request headers
    retry_count        integer not null,
    timeout_seconds    integer not null,
    tls_verify         integer not null default 1,
    secret_enc         blob not null,             -- nonce ‖ XChaCha20-Poly1305 ciphertext
    secret_hint        text not null,             -- last 4 characters, for the masked form
    previous_secret_enc blob,                     -- still signs until previous_expires_at (rotation)
    previous_expires_at integer,
    created_at         integer not null,
    updated_at         integer not null,
    last_triggered_at  integer,
    last_success_at    integer,
    last_failure_at    integer,
    failure_count      integer not null default 0,
    disabled_reason    text
) strict;
