-- Times are INTEGER unix milliseconds; ids are prefixed text (usr_…, key_…).
create table users (
    id            text primary key,
    email         text not null unique collate nocase,
    password_hash text not null,
    role          text not null check (role in ('admin', 'viewer')),
    created_at    integer not null,
    updated_at    integer not null
) strict;

create table api_keys (
    id           text primary key,
    name         text not null,
    prefix       text not null,          -- first characters, to tell keys apart in lists
    key_hash     text not null unique,   -- sha256 hex of the whole key; the key itself is never stored
    scopes       text not null,          -- space separated
    created_at   integer not null,
    last_used_at integer,
    revoked_at   integer
) strict;
