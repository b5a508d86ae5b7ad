CREATE TABLE `presale_codes` (
	`id` text PRIMARY KEY NOT NULL,
	`event_id` text NOT NULL,
	`code` text NOT NULL,
	`config_ids` text NOT NULL,
	`quota` integer,
	`valid_from` text,
	`valid_until` text,
	`is_active` integer DEFAULT true NOT NULL,
	`created_by` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	FOREIGN KEY (`event_id`) REFERENCES `events`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`created_by`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE set null,
	CONSTRAINT "presale_codes_quota_positive" CHECK("presale_codes"."quota" IS NULL OR "presale_codes"."quota" > 0),
	CONSTRAINT "presale_codes_window" CHECK("presale_codes"."valid_from" IS NULL OR "presale_codes"."valid_until" IS NULL OR "presale_codes"."valid_until" > "presale_codes"."valid_from")
);
--> statement-breakpoint
CREATE UNIQUE INDEX `presale_codes_event_code_unique` ON `presale_codes` (`event_id`,`code`);--> statement-breakpoint
ALTER TABLE `event_ticket_config` ADD `presale_only` integer DEFAULT false NOT NULL;