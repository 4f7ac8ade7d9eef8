-- Every client has a decoy verification (id 'vf_~' || client id, see decoyVerificationId in
-- src/verification/attempt-flow.ts): an attempt on a verification that does not exist is
-- counted on it, so it reads and writes a row as a wrong code does and takes as long. It
-- can never be named (no API id or mailbox has a '~' of this shape), never expires and
-- carries one code hash nothing matches. Made for every client, now and when one is added.
INSERT INTO `verifications` (`id`, `client_id`, `email`, `purpose`, `locale`, `status`, `attempts`, `max_attempts`, `send_count`, `created_at`, `last_sent_at`, `expires_at`)
SELECT 'vf_~' || `id`, `id`, '~', 'login', 'en', 'pending', 0, 2147483647, 0, `created_at`, `created_at`, 8640000000000000 FROM `clients`;
--> statement-breakpoint
INSERT INTO `verification_codes` (`verification_id`, `code_hash`, `created_at`)
SELECT 'vf_~' || `id`, substr(hex(randomblob(22)), 1, 43), `created_at` FROM `clients`;
--> statement-breakpoint
CREATE TRIGGER `clients_decoy_verification` AFTER INSERT ON `clients` BEGIN
  INSERT INTO `verifications` (`id`, `client_id`, `email`, `purpose`, `locale`, `status`, `attempts`, `max_attempts`, `send_count`, `created_at`, `last_sent_at`, `expires_at`)
  VALUES ('vf_~' || NEW.`id`, NEW.`id`, '~', 'login', 'en', 'pending', 0, 2147483647, 0, NEW.`created_at`, NEW.`created_at`, 8640000000000000);
  INSERT INTO `verification_codes` (`verification_id`, `code_hash`, `created_at`)
  VALUES ('vf_~' || NEW.`id`, substr(hex(randomblob(22)), 1, 43), NEW.`created_at`);
END;
