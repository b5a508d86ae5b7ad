CREATE TABLE `season_card_requests` (
	`subscription_id` text PRIMARY KEY NOT NULL,
	`status` text DEFAULT 'REQUESTED' NOT NULL,
	`requested_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`card_id` text,
	`printed_at` text,
	FOREIGN KEY (`subscription_id`) REFERENCES `subscriptions`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`card_id`) REFERENCES `season_cards`(`id`) ON UPDATE no action ON DELETE set null,
	CONSTRAINT "season_card_requests_status_check" CHECK("season_card_requests"."status" IN ('REQUESTED', 'PRINTED'))
);
--> statement-breakpoint
CREATE INDEX `season_card_requests_status_idx` ON `season_card_requests` (`status`,`requested_at`);