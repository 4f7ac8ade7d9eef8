CREATE TABLE "trusted_browsers" (
	"id" text PRIMARY KEY NOT NULL,
	"client_id" text NOT NULL,
	"user_ref" text NOT NULL,
	"label" text NOT NULL,
	"token_hash" text NOT NULL,
	"previous_token_hash" text,
	"binding_hash" text NOT NULL,
	"created_at" bigint NOT NULL,
	"last_used_at" bigint NOT NULL,
	"expires_at" bigint NOT NULL,
	"ended_at" bigint,
	"ended_reason" text
);
--> statement-breakpoint
ALTER TABLE "clients" ADD COLUMN "trusted_browser_days" integer DEFAULT 30 NOT NULL;--> statement-breakpoint
ALTER TABLE "clients" ADD COLUMN "membership_days" integer DEFAULT 30 NOT NULL;--> statement-breakpoint
ALTER TABLE "trusted_browsers" ADD CONSTRAINT "trusted_browsers_client_id_clients_id_fk" FOREIGN KEY ("client_id") REFERENCES "public"."clients"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "trusted_browsers_token" ON "trusted_browsers" USING btree ("token_hash");--> statement-breakpoint
CREATE INDEX "trusted_browsers_previous" ON "trusted_browsers" USING btree ("previous_token_hash");--> statement-breakpoint
CREATE INDEX "trusted_browsers_person" ON "trusted_browsers" USING btree ("client_id","user_ref");