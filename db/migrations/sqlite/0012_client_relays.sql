CREATE TABLE `client_relays` (
	`client_id` text PRIMARY KEY NOT NULL,
	`smtp_url_sealed` text NOT NULL,
	`shown` text NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`client_id`) REFERENCES `clients`(`id`) ON UPDATE no action ON DELETE no action
);
