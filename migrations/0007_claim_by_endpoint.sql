-- The dispatcher claims due deliveries endpoint by endpoint, so a backlog at one endpoint
-- (hanging, disabled or with a full queue) is never walked past by claims for the others.
create index deliveries_due_endpoint on deliveries (endpoint_id, next_attempt_at)
    where status = 'pending' and claimed_at is null;

-- Every delivery update rewrites updated_at; since stats come from the hourly roll-ups nothing
-- reads deliveries by (endpoint_id, updated_at) any more, so the index was pure write cost.
drop index deliveries_endpoint_updated;
