CREATE TABLE `verification_links` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`verification_id` text NOT NULL,
	`link_hash` text NOT NULL,
	`binding_hash` text,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`verification_id`) REFERENCES `verifications`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `verification_links_hash` ON `verification_links` (`link_hash`);--> statement-breakpoint
CREATE INDEX `verification_links_verification` ON `verification_links` (`verification_id`);--> statement-breakpoint
ALTER TABLE `clients` ADD `continue_url` text;--> statement-breakpoint
ALTER TABLE `clients` ADD `continue_any_browser` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `verifications` ADD `verified_with` text;