create table events (
    id              text primary key,          -- evt_ + UUIDv7: sorts by creation
    type            text not null,
    data            text not null,             -- the JSON object as received
    channels        text,                      -- JSON array or null
    idempotency_key text,
    created_at      integer not null
) strict;
create unique index events_idempotency_key on events (idempotency_key) where idempotency_key is not null;
create index events_type on events (type, id);
create index events_created on events (created_at);

create table deliveries (
    id               text primary key,         -- dlv_ + UUIDv7
    event_id         text not null references events (id) on delete cascade,
    endpoint_id      text not null references endpoints (id) on delete cascade,
    status           text not null check (status in ('pending', 'succeeded', 'failed', 'cancelled')),
    attempts         integer not null default 0,
    next_attempt_at  integer,                  -- set while pending
    claimed_at       integer,                  -- set while an attempt is queued or in flight
    last_status_code integer,
    last_error       text,
    created_at       integer not null,
    updated_at       integer not null
) strict;
-- The dispatcher's question: which unclaimed pending deliveries are due?
create index deliveries_due on deliveries (next_attempt_at) where status = 'pending' and claimed_at is null;
create index deliveries_endpoint on deliveries (endpoint_id, id);
create index deliveries_endpoint_updated on deliveries (endpoint_id, updated_at);
create index deliveries_event on deliveries (event_id);
create index deliveries_created on deliveries (created_at);

create table attempts (
    id               text primary key,         -- att_ + UUIDv7
    delivery_id      text not null references deliveries (id) on delete cascade,
    endpoint_id      text not null,
    attempt_no       integer not null,
    started_at       integer not null,
    duration_ms      integer not null,
    url              text not null,
    request_headers  text not null,            -- JSON object, signatures masked
    response_status  integer,
    response_headers text,                     -- JSON object
    response_body    text,                     -- first 8 KiB
    error            text,
    error_kind       text,                     -- timeout, connect, dns, tls, ssrf, redirect, status, body, secret
    succeeded        integer not null
) strict;
create index attempts_delivery on attempts (delivery_id, started_at);
create index attempts_endpoint_started on attempts (endpoint_id, started_at);

-- Start of the current run of failed deliveries, for auto-disable.
alter table endpoints add column failing_since integer;
