CREATE TABLE `pricing_rule_event_uses` (
	`rule_id` text NOT NULL,
	`event_id` text NOT NULL,
	`uses` integer NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	PRIMARY KEY(`rule_id`, `event_id`),
	FOREIGN KEY (`rule_id`) REFERENCES `pricing_rules`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`event_id`) REFERENCES `events`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "pricing_rule_event_uses_uses_non_negative" CHECK("pricing_rule_event_uses"."uses" >= 0)
);
