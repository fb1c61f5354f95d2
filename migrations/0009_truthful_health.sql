-- Health figures that tell the truth (issue 15).

-- 1. Deliveries by current state, each counted once, in the hour the delivery was created.
-- The old roll-up counted a delivery in the hour it *ended*, so a replayed delivery that
-- failed and then succeeded was counted twice, and deliveries still retrying after failed
-- attempts were not counted at all. A trigger keeps this table in step with every status
-- change (outcomes, manual retries, bulk replays), inside the statement that makes it.
create table endpoint_delivery_hourly (
    endpoint_id text not null,
    hour        integer not null,             -- start of the UTC hour the deliveries were created in
    succeeded   integer not null default 0,   -- deliveries now succeeded
    failed      integer not null default 0,   -- deliveries now failed (out of retries)
    retrying    integer not null default 0,   -- deliveries now pending after a failed attempt
    primary key (endpoint_id, hour)
) strict, without rowid;

insert into endpoint_delivery_hourly (endpoint_id, hour, succeeded, failed, retrying)
select endpoint_id, created_at - created_at % 3600000,
       sum(status = 'succeeded'), sum(status = 'failed'), sum(status = 'pending' and attempts > 0)
from deliveries group by 1, 2;

create trigger deliveries_state_rollup after update of status, attempts on deliveries
when old.status is not new.status
  or (old.status = 'pending' and old.attempts > 0) is not (new.status = 'pending' and new.attempts > 0)
begin
    insert into endpoint_delivery_hourly (endpoint_id, hour, succeeded, failed, retrying)
    values (new.endpoint_id, new.created_at - new.created_at % 3600000,
            (new.status = 'succeeded') - (old.status = 'succeeded'),
            (new.status = 'failed') - (old.status = 'failed'),
            (new.status = 'pending' and new.attempts > 0) - (old.status = 'pending' and old.attempts > 0))
    on conflict (endpoint_id, hour) do update set succeeded = succeeded + excluded.succeeded,
        failed = failed + excluded.failed, retrying = retrying + excluded.retrying;
end;

drop trigger endpoint_hourly_cleanup;
create trigger endpoint_hourly_cleanup after delete on endpoints begin
    delete from endpoint_hourly where endpoint_id = old.id;
    delete from endpoint_latency_hourly where endpoint_id = old.id;
    delete from endpoint_delivery_hourly where endpoint_id = old.id;
end;

-- 2. Failed attempts per attempt hour beside the response times; the ended-delivery counts
-- move to the table above.
alter table endpoint_hourly add column failed_attempts integer not null default 0;
insert into endpoint_hourly (endpoint_id, hour, failed_attempts)
select endpoint_id, started_at - started_at % 3600000, count(*) from attempts where succeeded = 0
group by 1, 2
on conflict (endpoint_id, hour) do update set failed_attempts = excluded.failed_attempts;
alter table endpoint_hourly drop column succeeded;
alter table endpoint_hourly drop column failed;

-- 3. `failure_count` is the streak of failed *attempts* (DESIGN), so an endpoint whose
-- deliveries are all still retrying shows as failing; auto-disable keeps counting failed
-- deliveries in a row, in a column of its own.
alter table endpoints add column failed_deliveries_in_row integer not null default 0;
update endpoints set failed_deliveries_in_row = failure_count,
    failure_count = (select count(*) from attempts a where a.endpoint_id = endpoints.id and a.succeeded = 0
        and a.started_at > coalesce((select max(s.started_at) from attempts s
                                     where s.endpoint_id = endpoints.id and s.succeeded = 1), 0));

-- 4. The history's "failing" filter (failed, or retrying after a failure), newest first, walks
-- one index in id order like the other filters.
create index deliveries_endpoint_failing on deliveries (endpoint_id, id)
    where status = 'failed' or (status = 'pending' and attempts > 0);
