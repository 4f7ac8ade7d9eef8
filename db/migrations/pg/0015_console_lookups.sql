ALTER TABLE "events" ADD COLUMN "actor_id" text;--> statement-breakpoint
CREATE INDEX "events_actor" ON "events" USING btree ("actor_id","seq");--> statement-breakpoint
CREATE INDEX "suppressions_email" ON "suppressions" USING btree ("email");--> statement-breakpoint
CREATE INDEX "totp_factors_user_ref" ON "totp_factors" USING btree ("user_ref");--> statement-breakpoint
CREATE INDEX "totp_factors_account" ON "totp_factors" USING btree ("account_name");--> statement-breakpoint
CREATE INDEX "verifications_email" ON "verifications" USING btree ("email","created_at");