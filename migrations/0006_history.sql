-- Delivery history filters (dashboard endpoint page, GET /api/v1/webhooks/{id}/deliveries):
-- the event type is copied onto each delivery so "this endpoint's deliveries of type X, newest
-- first" and "… with status Y" each walk one index in id order instead of joining events and
-- filtering row by row. Filled at insert by deliveries::insert_pending; backfilled here.
alter table deliveries add column event_type text not null default '';
update deliveries set event_type = coalesce((select e.type from events e where e.id = deliveries.event_id), '');

create index deliveries_endpoint_status on deliveries (endpoint_id, status, id);
create index deliveries_endpoint_type on deliveries (endpoint_id, event_type, id);

-- Any other insert path that leaves the type out still gets it (a no-op for insert_pending).
create trigger deliveries_fill_event_type after insert on deliveries when new.event_type = ''
begin
    update deliveries set event_type = coalesce((select e.type from events e where e.id = new.event_id), '')
     where id = new.id;
end;
