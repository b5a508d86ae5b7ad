CREATE TABLE `subscription_upgrades` (
	`id` text PRIMARY KEY NOT NULL,
	`subscription_id` text NOT NULL,
	`user_id` text NOT NULL,
	`zone_category` text NOT NULL,
	`scope` text NOT NULL,
	`event_ids` text NOT NULL,
	`matches` integer NOT NULL,
	`unit_fee` integer NOT NULL,
	`amount` integer NOT NULL,
	`currency` text NOT NULL,
	`status` text DEFAULT 'PENDING' NOT NULL,
	`payment_id` text,
	`expires_at` text NOT NULL,
	`applied_at` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	FOREIGN KEY (`subscription_id`) REFERENCES `subscriptions`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`payment_id`) REFERENCES `payments`(`id`) ON UPDATE no action ON DELETE set null,
	CONSTRAINT "subscription_upgrades_zone_category_check" CHECK("subscription_upgrades"."zone_category" IN ('VIP', 'PREMIUM', 'STANDARD', 'BASIC', 'COMPLIMENTARY', 'VISITORS', 'PRESS', 'STAFF')),
	CONSTRAINT "subscription_upgrades_scope_check" CHECK("subscription_upgrades"."scope" IN ('MATCH', 'SEASON')),
	CONSTRAINT "subscription_upgrades_status_check" CHECK("subscription_upgrades"."status" IN ('PENDING', 'APPLIED', 'EXPIRED')),
	CONSTRAINT "subscription_upgrades_currency_check" CHECK("subscription_upgrades"."currency" IN ('XOF', 'TND', 'EUR', 'USD')),
	CONSTRAINT "subscription_upgrades_amount_is_fee_times_matches" CHECK("subscription_upgrades"."matches" > 0 AND "subscription_upgrades"."unit_fee" >= 0 AND "subscription_upgrades"."amount" = "subscription_upgrades"."unit_fee" * "subscription_upgrades"."matches")
);
--> statement-breakpoint
CREATE INDEX `subscription_upgrades_subscription_idx` ON `subscription_upgrades` (`subscription_id`,`created_at`);