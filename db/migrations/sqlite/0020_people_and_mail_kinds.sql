CREATE TABLE `person_addresses` (
	`client_id` text NOT NULL,
	`user_ref` text NOT NULL,
	`email` text NOT NULL,
	`purpose` text NOT NULL,
	`proven_at` integer NOT NULL,
	`verification_id` text NOT NULL,
	PRIMARY KEY(`client_id`, `user_ref`, `email`),
	FOREIGN KEY (`client_id`) REFERENCES `clients`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `person_addresses_email` ON `person_addresses` (`email`);--> statement-breakpoint
PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_outbox` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`verification_id` text,
	`kind` text DEFAULT 'code' NOT NULL,
	`client_id` text,
	`email` text,
	`user_ref` text,
	`status` text NOT NULL,
	`payload` text,
	`attempts` integer DEFAULT 0 NOT NULL,
	`next_attempt_at` integer NOT NULL,
	`lease_until` integer DEFAULT 0 NOT NULL,
	`last_error` text,
	`last_reply` text,
	`enhanced_status` text,
	`queue_id` text,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`sent_at` integer,
	FOREIGN KEY (`verification_id`) REFERENCES `verifications`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`client_id`) REFERENCES `clients`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
INSERT INTO `__new_outbox`("id", "verification_id", "kind", "client_id", "email", "user_ref", "status", "payload", "attempts", "next_attempt_at", "lease_until", "last_error", "last_reply", "enhanced_status", "queue_id", "created_at", "expires_at", "sent_at") SELECT "id", "verification_id", 'code', NULL, NULL, NULL, "status", "payload", "attempts", "next_attempt_at", "lease_until", "last_error", "last_reply", "enhanced_status", "queue_id", "created_at", "expires_at", "sent_at" FROM `outbox`;--> statement-breakpoint
DROP TABLE `outbox`;--> statement-breakpoint
ALTER TABLE `__new_outbox` RENAME TO `outbox`;--> statement-breakpoint
PRAGMA foreign_keys=ON;--> statement-breakpoint
CREATE INDEX `outbox_due` ON `outbox` (`status`,`next_attempt_at`);--> statement-breakpoint
CREATE INDEX `outbox_verification` ON `outbox` (`verification_id`);--> statement-breakpoint
ALTER TABLE `verifications` ADD `user_ref` text;