CREATE TABLE "totp_factors" (
	"id" text PRIMARY KEY NOT NULL,
	"client_id" text NOT NULL,
	"user_ref" text NOT NULL,
	"account_name" text NOT NULL,
	"secret_encrypted" text NOT NULL,
	"status" text NOT NULL,
	"created_at" bigint NOT NULL,
	"expires_at" bigint NOT NULL,
	"confirmed_at" bigint,
	"last_used_step" bigint,
	"failed_attempts" integer DEFAULT 0 NOT NULL,
	"locked_until" bigint
);
--> statement-breakpoint
CREATE TABLE "totp_recovery_codes" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"factor_id" text NOT NULL,
	"code_hash" text NOT NULL,
	"used_at" bigint
);
--> statement-breakpoint
ALTER TABLE "totp_factors" ADD CONSTRAINT "totp_factors_client_id_clients_id_fk" FOREIGN KEY ("client_id") REFERENCES "public"."clients"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "totp_recovery_codes" ADD CONSTRAINT "totp_recovery_codes_factor_id_totp_factors_id_fk" FOREIGN KEY ("factor_id") REFERENCES "public"."totp_factors"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "totp_factors_user" ON "totp_factors" USING btree ("client_id","user_ref");--> statement-breakpoint
CREATE UNIQUE INDEX "totp_factors_one_active" ON "totp_factors" USING btree ("client_id","user_ref") WHERE status = 'active';--> statement-breakpoint
CREATE UNIQUE INDEX "totp_recovery_codes_hash" ON "totp_recovery_codes" USING btree ("factor_id","code_hash");