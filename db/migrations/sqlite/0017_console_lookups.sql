ALTER TABLE `events` ADD `actor_id` text;--> statement-breakpoint
CREATE INDEX `events_actor` ON `events` (`actor_id`,`seq`);--> statement-breakpoint
CREATE INDEX `suppressions_email` ON `suppressions` (`email`);--> statement-breakpoint
CREATE INDEX `totp_factors_user_ref` ON `totp_factors` (`user_ref`);--> statement-breakpoint
CREATE INDEX `totp_factors_account` ON `totp_factors` (`account_name`);--> statement-breakpoint
CREATE INDEX `verifications_email` ON `verifications` (`email`,`created_at`);