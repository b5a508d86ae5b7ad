CREATE TABLE `subscription_transfers` (
	`id` text PRIMARY KEY NOT NULL,
	`subscription_id` text NOT NULL,
	`user_id` text NOT NULL,
	`recipient_user_id` text NOT NULL,
	`message` text,
	`fee` integer NOT NULL,
	`currency` text NOT NULL,
	`status` text DEFAULT 'PENDING' NOT NULL,
	`payment_id` text,
	`new_subscription_id` text,
	`failure_reason` text,
	`expires_at` text NOT NULL,
	`completed_at` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	FOREIGN KEY (`subscription_id`) REFERENCES `subscriptions`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`recipient_user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`payment_id`) REFERENCES `payments`(`id`) ON UPDATE no action ON DELETE set null,
	FOREIGN KEY (`new_subscription_id`) REFERENCES `subscriptions`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "subscription_transfers_status_check" CHECK("subscription_transfers"."status" IN ('PENDING', 'PROCESSING', 'COMPLETED', 'EXPIRED', 'FAILED')),
	CONSTRAINT "subscription_transfers_currency_check" CHECK("subscription_transfers"."currency" IN ('XOF', 'TND', 'EUR', 'USD')),
	CONSTRAINT "subscription_transfers_fee_positive" CHECK("subscription_transfers"."fee" > 0)
);
--> statement-breakpoint
CREATE INDEX `subscription_transfers_subscription_idx` ON `subscription_transfers` (`subscription_id`,`created_at`);--> statement-breakpoint
CREATE UNIQUE INDEX `subscription_transfers_one_open` ON `subscription_transfers` (`subscription_id`) WHERE "subscription_transfers"."status" IN ('PENDING', 'PROCESSING');