CREATE TABLE "client_relays" (
	"client_id" text PRIMARY KEY NOT NULL,
	"smtp_url_sealed" text NOT NULL,
	"shown" text NOT NULL,
	"updated_at" bigint NOT NULL
);
--> statement-breakpoint
ALTER TABLE "client_relays" ADD CONSTRAINT "client_relays_client_id_clients_id_fk" FOREIGN KEY ("client_id") REFERENCES "public"."clients"("id") ON DELETE no action ON UPDATE no action;