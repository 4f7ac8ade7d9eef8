CREATE TABLE "clients" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"api_key_hash" text NOT NULL,
	"allowed_domains" text DEFAULT '[]' NOT NULL,
	"mail_from" text,
	"default_locale" text DEFAULT 'en' NOT NULL,
	"reply_to" text,
	"support" text,
	"logo_url" text,
	"accent_color" text,
	"code_in_subject" boolean DEFAULT true NOT NULL,
	"created_at" bigint NOT NULL,
	"revoked_at" bigint
);
--> statement-breakpoint
CREATE TABLE "limit_counters" (
	"key" text NOT NULL,
	"bucket" bigint NOT NULL,
	"count" integer NOT NULL,
	CONSTRAINT "limit_counters_key_bucket_pk" PRIMARY KEY("key","bucket")
);
--> statement-breakpoint
CREATE TABLE "outbox" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"verification_id" text NOT NULL,
	"status" text NOT NULL,
	"payload" text,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" bigint NOT NULL,
	"lease_until" bigint DEFAULT 0 NOT NULL,
	"last_error" text,
	"created_at" bigint NOT NULL,
	"expires_at" bigint NOT NULL,
	"sent_at" bigint
);
--> statement-breakpoint
CREATE TABLE "send_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"client_id" text NOT NULL,
	"email" text NOT NULL,
	"end_user_ip" text,
	"created_at" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "signing_keys" (
	"kid" text PRIMARY KEY NOT NULL,
	"public_jwk" text NOT NULL,
	"private_jwk_encrypted" text NOT NULL,
	"created_at" bigint NOT NULL,
	"retired_at" bigint
);
--> statement-breakpoint
CREATE TABLE "verification_codes" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"verification_id" text NOT NULL,
	"code_hash" text NOT NULL,
	"created_at" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "verifications" (
	"id" text PRIMARY KEY NOT NULL,
	"client_id" text NOT NULL,
	"email" text NOT NULL,
	"purpose" text NOT NULL,
	"locale" text NOT NULL,
	"status" text NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"max_attempts" integer NOT NULL,
	"send_count" integer DEFAULT 1 NOT NULL,
	"created_at" bigint NOT NULL,
	"last_sent_at" bigint NOT NULL,
	"expires_at" bigint NOT NULL,
	"verified_at" bigint
);
--> statement-breakpoint
ALTER TABLE "outbox" ADD CONSTRAINT "outbox_verification_id_verifications_id_fk" FOREIGN KEY ("verification_id") REFERENCES "public"."verifications"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "verification_codes" ADD CONSTRAINT "verification_codes_verification_id_verifications_id_fk" FOREIGN KEY ("verification_id") REFERENCES "public"."verifications"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "verifications" ADD CONSTRAINT "verifications_client_id_clients_id_fk" FOREIGN KEY ("client_id") REFERENCES "public"."clients"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "clients_api_key_hash" ON "clients" USING btree ("api_key_hash");--> statement-breakpoint
CREATE INDEX "limit_counters_bucket" ON "limit_counters" USING btree ("bucket");--> statement-breakpoint
CREATE INDEX "outbox_due" ON "outbox" USING btree ("status","next_attempt_at");--> statement-breakpoint
CREATE INDEX "outbox_verification" ON "outbox" USING btree ("verification_id");--> statement-breakpoint
CREATE INDEX "send_events_email" ON "send_events" USING btree ("email","created_at");--> statement-breakpoint
CREATE INDEX "send_events_ip" ON "send_events" USING btree ("end_user_ip","created_at");--> statement-breakpoint
CREATE INDEX "send_events_created" ON "send_events" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "verification_codes_verification" ON "verification_codes" USING btree ("verification_id");--> statement-breakpoint
CREATE INDEX "verifications_lookup" ON "verifications" USING btree ("client_id","email","purpose","created_at");--> statement-breakpoint
CREATE INDEX "verifications_expires" ON "verifications" USING btree ("expires_at");