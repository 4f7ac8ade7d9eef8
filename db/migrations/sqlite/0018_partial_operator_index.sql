DROP INDEX `events_actor`;--> statement-breakpoint
CREATE INDEX `events_operator` ON `events` (`actor_id`,`seq`) WHERE actor_id is not null;