-- Tenants: the team's customers. `uid` is the team's own id for one and never changes, so the
-- tables that belong to a tenant carry it directly (readable in every row, no join to show it);
-- null means the team's own row. Deleting a tenant deletes its endpoints and events, and with
-- them (cascades) deliveries, attempts and replays.
create table tenants (
    id         text primary key,              -- tn_ + UUIDv7
    uid        text not null unique,          -- 1–64 of A-Z a-z 0-9 . _ : -
    name       text not null default '',
    created_at integer not null,
    updated_at integer not null
) strict;

alter table endpoints add column tenant text references tenants (uid) on delete cascade;
alter table events add column tenant text references tenants (uid) on delete cascade;
alter table deliveries add column tenant text;      -- its endpoint's, for per-tenant claims and lists
alter table api_keys add column tenant text references tenants (uid) on delete cascade;

create index endpoints_tenant on endpoints (tenant, id) where tenant is not null;
create index events_tenant on events (tenant, id) where tenant is not null;

-- Idempotency keys are per tenant (the team's own events are one more "tenant", '').
drop index events_idempotency_key;
create unique index events_idempotency_key on events (coalesce(tenant, ''), idempotency_key)
    where idempotency_key is not null;

-- One-time portal links: only the token's SHA-256 is stored; `used_at` makes it work once.
create table portal_links (
    token_hash text primary key,
    tenant     text not null references tenants (uid) on delete cascade,
    read_only  integer not null,
    created_at integer not null,
    expires_at integer not null,
    used_at    integer
) strict;
create index portal_links_expires on portal_links (expires_at);
