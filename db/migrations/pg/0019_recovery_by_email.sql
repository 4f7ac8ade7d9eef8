CREATE TABLE "recoveries" (
	"id" text PRIMARY KEY NOT NULL,
	"client_id" text NOT NULL,
	"user_ref" text NOT NULL,
	"verification_id" text,
	"status" text NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"created_at" bigint NOT NULL,
	"code_expires_at" bigint NOT NULL,
	"started_at" bigint,
	"completes_at" bigint,
	"ended_at" bigint,
	"ended_by" text,
	"reason" text
);
--> statement-breakpoint
ALTER TABLE "clients" ADD COLUMN "notices_off" text DEFAULT '[]' NOT NULL;--> statement-breakpoint
ALTER TABLE "clients" ADD COLUMN "recovery_wait_hours" integer DEFAULT 24 NOT NULL;--> statement-breakpoint
ALTER TABLE "recoveries" ADD CONSTRAINT "recoveries_client_id_clients_id_fk" FOREIGN KEY ("client_id") REFERENCES "public"."clients"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "recoveries_person" ON "recoveries" USING btree ("client_id","user_ref");--> statement-breakpoint
CREATE INDEX "recoveries_due" ON "recoveries" USING btree ("status","completes_at");--> statement-breakpoint
CREATE UNIQUE INDEX "recoveries_one_open" ON "recoveries" USING btree ("client_id","user_ref") WHERE status in ('code_sent', 'waiting');