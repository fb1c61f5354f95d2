-- A replay may end at a time too: only deliveries created before `until` (null: no end).
alter table replays add column until integer;
