CREATE TABLE "events" (
	"seq" bigserial PRIMARY KEY NOT NULL,
	"id" text NOT NULL,
	"client_id" text NOT NULL,
	"type" text NOT NULL,
	"subject" text NOT NULL,
	"masked_email" text,
	"request_id" text,
	"actor" text NOT NULL,
	"data" text NOT NULL,
	"created_at" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "suppressions" (
	"client_id" text NOT NULL,
	"email" text NOT NULL,
	"reason" text NOT NULL,
	"enhanced_status" text,
	"verification_id" text,
	"created_at" bigint NOT NULL,
	"until" bigint NOT NULL,
	CONSTRAINT "suppressions_client_id_email_pk" PRIMARY KEY("client_id","email")
);
--> statement-breakpoint
ALTER TABLE "clients" ADD COLUMN "suppression_hours" integer DEFAULT 24 NOT NULL;--> statement-breakpoint
ALTER TABLE "outbox" ADD COLUMN "last_reply" text;--> statement-breakpoint
ALTER TABLE "outbox" ADD COLUMN "enhanced_status" text;--> statement-breakpoint
ALTER TABLE "outbox" ADD COLUMN "queue_id" text;--> statement-breakpoint
CREATE UNIQUE INDEX "events_id" ON "events" USING btree ("id");--> statement-breakpoint
CREATE INDEX "events_client" ON "events" USING btree ("client_id","seq");--> statement-breakpoint
CREATE INDEX "events_subject" ON "events" USING btree ("client_id","subject","seq");--> statement-breakpoint
CREATE INDEX "events_created" ON "events" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "suppressions_until" ON "suppressions" USING btree ("until");