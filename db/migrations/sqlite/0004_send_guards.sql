CREATE TABLE `send_guards` (
	`key` text PRIMARY KEY NOT NULL,
	`version` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `send_guards_updated` ON `send_guards` (`updated_at`);