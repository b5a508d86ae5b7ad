ALTER TABLE `event_ticket_config` ADD `projection_version` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `pricing_rule_event_uses` ADD `projection_version` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `pricing_rule_usages` ADD `projection_version` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `tickets` ADD `projection_version` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `access_rights` ADD `projection_version` integer DEFAULT 0 NOT NULL;