CREATE TABLE `events` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`id` text NOT NULL,
	`client_id` text NOT NULL,
	`type` text NOT NULL,
	`subject` text NOT NULL,
	`masked_email` text,
	`request_id` text,
	`actor` text NOT NULL,
	`data` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `events_id` ON `events` (`id`);--> statement-breakpoint
CREATE INDEX `events_client` ON `events` (`client_id`,`seq`);--> statement-breakpoint
CREATE INDEX `events_subject` ON `events` (`client_id`,`subject`,`seq`);--> statement-breakpoint
CREATE INDEX `events_created` ON `events` (`created_at`);--> statement-breakpoint
CREATE TABLE `suppressions` (
	`client_id` text NOT NULL,
	`email` text NOT NULL,
	`reason` text NOT NULL,
	`enhanced_status` text,
	`verification_id` text,
	`created_at` integer NOT NULL,
	`until` integer NOT NULL,
	PRIMARY KEY(`client_id`, `email`)
);
--> statement-breakpoint
CREATE INDEX `suppressions_until` ON `suppressions` (`until`);--> statement-breakpoint
ALTER TABLE `clients` ADD `suppression_hours` integer DEFAULT 24 NOT NULL;--> statement-breakpoint
ALTER TABLE `outbox` ADD `last_reply` text;--> statement-breakpoint
ALTER TABLE `outbox` ADD `enhanced_status` text;--> statement-breakpoint
ALTER TABLE `outbox` ADD `queue_id` text;