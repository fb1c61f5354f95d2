-- Bulk replay jobs: "retry every failed delivery of this endpoint created since T", run in the
-- background in small batches and resumed after a restart from `cursor`.
create table replays (
    id           text primary key,            -- rpl_ + UUIDv7
    endpoint_id  text not null references endpoints (id) on delete cascade,
    since        integer not null,            -- deliveries created at or after this instant
    upto         text not null,               -- newest delivery id at start: later ones are not part of the job
    requested_by text not null,               -- the user's email
    status       text not null check (status in ('running', 'completed', 'failed')),
    total        integer not null default 0,  -- failed deliveries in range when the job started
    done         integer not null default 0,  -- requeued so far
    cursor       text,                        -- last delivery id requeued (resume point)
    created_at   integer not null,
    finished_at  integer,
    error        text
) strict;
create index replays_endpoint on replays (endpoint_id, id);
-- At most one running job per endpoint; also the runner's "what is left to do" question.
create unique index replays_running on replays (endpoint_id) where status = 'running';

-- Which deliveries a job requeued, to report how they fared since.
create table replay_deliveries (
    replay_id   text not null references replays (id) on delete cascade,
    delivery_id text not null references deliveries (id) on delete cascade,
    primary key (replay_id, delivery_id)
) strict, without rowid;
create index replay_deliveries_delivery on replay_deliveries (delivery_id);
