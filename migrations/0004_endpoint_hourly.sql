-- Hourly roll-ups per endpoint, written by the delivery engine with each batch of outcomes, so
-- stats, sparklines and charts cost a few dozen rows however large the history grows.
-- (No backfill: no release of hookd wrote deliveries before this table.)
create table endpoint_hourly (
    endpoint_id text not null,
    hour        integer not null,             -- start of the UTC hour, ms
    succeeded   integer not null default 0,   -- deliveries that ended succeeded in this hour
    failed      integer not null default 0,   -- deliveries that ended failed in this hour
    attempts    integer not null default 0,   -- attempts that got an HTTP response
    duration_ms integer not null default 0,   -- summed over those attempts
    primary key (endpoint_id, hour)
) strict, without rowid;

-- Response-time histogram of the same attempts; `bucket` indexes stats::BUCKET_BOUNDS_MS.
create table endpoint_latency_hourly (
    endpoint_id text not null,
    hour        integer not null,
    bucket      integer not null,
    count       integer not null,
    primary key (endpoint_id, hour, bucket)
) strict, without rowid;

-- Rows go with their endpoint.
create trigger endpoint_hourly_cleanup after delete on endpoints begin
    delete from endpoint_hourly where endpoint_id = old.id;
    delete from endpoint_latency_hourly where endpoint_id = old.id;
end;

-- The overview's questions: recent failures (all endpoints and per endpoint) and the pending
-- backlog, without scanning the whole history.
create index attempts_failed on attempts (started_at) where succeeded = 0;
create index attempts_endpoint_failed on attempts (endpoint_id, started_at) where succeeded = 0;
create index deliveries_pending on deliveries (created_at) where status = 'pending';
