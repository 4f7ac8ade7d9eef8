CREATE TABLE `totp_factors` (
	`id` text PRIMARY KEY NOT NULL,
	`client_id` text NOT NULL,
	`user_ref` text NOT NULL,
	`account_name` text NOT NULL,
	`secret_encrypted` text NOT NULL,
	`status` text NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`confirmed_at` integer,
	`last_used_step` integer,
	`failed_attempts` integer DEFAULT 0 NOT NULL,
	`locked_until` integer,
	FOREIGN KEY (`client_id`) REFERENCES `clients`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `totp_factors_user` ON `totp_factors` (`client_id`,`user_ref`);--> statement-breakpoint
CREATE UNIQUE INDEX `totp_factors_one_active` ON `totp_factors` (`client_id`,`user_ref`) WHERE status = 'active';--> statement-breakpoint
CREATE TABLE `totp_recovery_codes` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`factor_id` text NOT NULL,
	`code_hash` text NOT NULL,
	`used_at` integer,
	FOREIGN KEY (`factor_id`) REFERENCES `totp_factors`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `totp_recovery_codes_hash` ON `totp_recovery_codes` (`factor_id`,`code_hash`);