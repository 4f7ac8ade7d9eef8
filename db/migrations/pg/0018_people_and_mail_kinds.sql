CREATE TABLE "person_addresses" (
	"client_id" text NOT NULL,
	"user_ref" text NOT NULL,
	"email" text NOT NULL,
	"purpose" text NOT NULL,
	"proven_at" bigint NOT NULL,
	"verification_id" text NOT NULL,
	CONSTRAINT "person_addresses_client_id_user_ref_email_pk" PRIMARY KEY("client_id","user_ref","email")
);
--> statement-breakpoint
ALTER TABLE "outbox" ALTER COLUMN "verification_id" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "outbox" ADD COLUMN "kind" text DEFAULT 'code' NOT NULL;--> statement-breakpoint
ALTER TABLE "outbox" ADD COLUMN "client_id" text;--> statement-breakpoint
ALTER TABLE "outbox" ADD COLUMN "email" text;--> statement-breakpoint
ALTER TABLE "outbox" ADD COLUMN "user_ref" text;--> statement-breakpoint
ALTER TABLE "verifications" ADD COLUMN "user_ref" text;--> statement-breakpoint
ALTER TABLE "person_addresses" ADD CONSTRAINT "person_addresses_client_id_clients_id_fk" FOREIGN KEY ("client_id") REFERENCES "public"."clients"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "person_addresses_email" ON "person_addresses" USING btree ("email");--> statement-breakpoint
ALTER TABLE "outbox" ADD CONSTRAINT "outbox_client_id_clients_id_fk" FOREIGN KEY ("client_id") REFERENCES "public"."clients"("id") ON DELETE no action ON UPDATE no action;