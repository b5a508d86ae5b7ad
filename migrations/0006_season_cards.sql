CREATE TABLE `season_cards` (
	`id` text PRIMARY KEY NOT NULL,
	`subscription_id` text NOT NULL,
	`nfc_uid` text,
	`template_id` text,
	`status` text DEFAULT 'ACTIVE' NOT NULL,
	`printed_by` text NOT NULL,
	`printed_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	FOREIGN KEY (`subscription_id`) REFERENCES `subscriptions`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`template_id`) REFERENCES `ticket_templates`(`id`) ON UPDATE no action ON DELETE set null,
	FOREIGN KEY (`printed_by`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "season_cards_status_check" CHECK("season_cards"."status" IN ('ACTIVE', 'REPLACED')),
	CONSTRAINT "season_cards_nfc_uid_hex" CHECK("season_cards"."nfc_uid" IS NULL OR (length("season_cards"."nfc_uid") IN (8, 14, 20) AND "season_cards"."nfc_uid" NOT GLOB '*[^0-9A-F]*'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `season_cards_nfc_uid_unique` ON `season_cards` (`nfc_uid`);--> statement-breakpoint
CREATE UNIQUE INDEX `season_cards_active_unique` ON `season_cards` (`subscription_id`) WHERE "season_cards"."status" = 'ACTIVE';--> statement-breakpoint
CREATE INDEX `season_cards_subscription_idx` ON `season_cards` (`subscription_id`,`printed_at`);