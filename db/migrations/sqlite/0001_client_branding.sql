ALTER TABLE `clients` ADD `reply_to` text;--> statement-breakpoint
ALTER TABLE `clients` ADD `support` text;--> statement-breakpoint
ALTER TABLE `clients` ADD `logo_url` text;--> statement-breakpoint
ALTER TABLE `clients` ADD `accent_color` text;--> statement-breakpoint
ALTER TABLE `clients` ADD `code_in_subject` integer DEFAULT true NOT NULL;