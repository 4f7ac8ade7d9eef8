CREATE TABLE `trusted_browsers` (
	`id` text PRIMARY KEY NOT NULL,
	`client_id` text NOT NULL,
	`user_ref` text NOT NULL,
	`label` text NOT NULL,
	`token_hash` text NOT NULL,
	`previous_token_hash` text,
	`binding_hash` text NOT NULL,
	`created_at` integer NOT NULL,
	`last_used_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`ended_at` integer,
	`ended_reason` text,
	FOREIGN KEY (`client_id`) REFERENCES `clients`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `trusted_browsers_token` ON `trusted_browsers` (`token_hash`);--> statement-breakpoint
CREATE INDEX `trusted_browsers_previous` ON `trusted_browsers` (`previous_token_hash`);--> statement-breakpoint
CREATE INDEX `trusted_browsers_person` ON `trusted_browsers` (`client_id`,`user_ref`);--> statement-breakpoint
ALTER TABLE `clients` ADD `trusted_browser_days` integer DEFAULT 30 NOT NULL;--> statement-breakpoint
ALTER TABLE `clients` ADD `membership_days` integer DEFAULT 30 NOT NULL;