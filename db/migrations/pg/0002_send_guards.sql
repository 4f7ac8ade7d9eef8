CREATE TABLE "send_guards" (
	"key" text PRIMARY KEY NOT NULL,
	"version" bigint NOT NULL,
	"updated_at" bigint NOT NULL
);
--> statement-breakpoint
CREATE INDEX "send_guards_updated" ON "send_guards" USING btree ("updated_at");