CREATE TABLE `gate_socket_sessions` (
	`session_id` text NOT NULL,
	`event_id` text NOT NULL,
	`opened_at` text NOT NULL,
	PRIMARY KEY(`session_id`, `event_id`),
	FOREIGN KEY (`session_id`) REFERENCES `auth_sessions`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`event_id`) REFERENCES `events`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
ALTER TABLE `event_ticket_config` ADD `projection_version` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `pricing_rule_event_uses` ADD `projection_version` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `pricing_rule_usages` ADD `projection_version` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `tickets` ADD `projection_version` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `access_rights` ADD `projection_version` integer DEFAULT 0 NOT NULL;