CREATE TABLE "verification_links" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"verification_id" text NOT NULL,
	"link_hash" text NOT NULL,
	"binding_hash" text,
	"created_at" bigint NOT NULL
);
--> statement-breakpoint
ALTER TABLE "clients" ADD COLUMN "continue_url" text;--> statement-breakpoint
ALTER TABLE "clients" ADD COLUMN "continue_any_browser" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "verifications" ADD COLUMN "verified_with" text;--> statement-breakpoint
ALTER TABLE "verification_links" ADD CONSTRAINT "verification_links_verification_id_verifications_id_fk" FOREIGN KEY ("verification_id") REFERENCES "public"."verifications"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "verification_links_hash" ON "verification_links" USING btree ("link_hash");--> statement-breakpoint
CREATE INDEX "verification_links_verification" ON "verification_links" USING btree ("verification_id");