CREATE TABLE `recoveries` (
	`id` text PRIMARY KEY NOT NULL,
	`client_id` text NOT NULL,
	`user_ref` text NOT NULL,
	`verification_id` text,
	`status` text NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`created_at` integer NOT NULL,
	`code_expires_at` integer NOT NULL,
	`started_at` integer,
	`completes_at` integer,
	`ended_at` integer,
	`ended_by` text,
	`reason` text,
	FOREIGN KEY (`client_id`) REFERENCES `clients`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `recoveries_person` ON `recoveries` (`client_id`,`user_ref`);--> statement-breakpoint
CREATE INDEX `recoveries_due` ON `recoveries` (`status`,`completes_at`);--> statement-breakpoint
CREATE UNIQUE INDEX `recoveries_one_open` ON `recoveries` (`client_id`,`user_ref`) WHERE status in ('code_sent', 'waiting');--> statement-breakpoint
ALTER TABLE `clients` ADD `notices_off` text DEFAULT '[]' NOT NULL;--> statement-breakpoint
ALTER TABLE `clients` ADD `recovery_wait_hours` integer DEFAULT 24 NOT NULL;