CREATE TABLE `report_commissions` (
	`event_id` text NOT NULL,
	`organization_id` text NOT NULL,
	`currency` text NOT NULL,
	`status` text NOT NULL,
	`commission_type` text NOT NULL,
	`commissions` integer DEFAULT 0 NOT NULL,
	`base_amount` integer DEFAULT 0 NOT NULL,
	`commission_amount` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`event_id`, `organization_id`, `currency`, `status`, `commission_type`)
);
--> statement-breakpoint
CREATE TABLE `report_payments` (
	`day` text NOT NULL,
	`currency` text NOT NULL,
	`provider` text NOT NULL,
	`method` text NOT NULL,
	`type` text NOT NULL,
	`country` text NOT NULL,
	`organization_id` text NOT NULL,
	`payments` integer DEFAULT 0 NOT NULL,
	`amount` integer DEFAULT 0 NOT NULL,
	`fees` integer DEFAULT 0 NOT NULL,
	`refunded_amount` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`day`, `currency`, `provider`, `method`, `type`, `country`, `organization_id`)
);
--> statement-breakpoint
CREATE TABLE `report_refunds` (
	`event_id` text NOT NULL,
	`currency` text NOT NULL,
	`status` text NOT NULL,
	`reason` text NOT NULL,
	`refunds` integer DEFAULT 0 NOT NULL,
	`amount` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`event_id`, `currency`, `status`, `reason`)
);
--> statement-breakpoint
CREATE TABLE `report_rights` (
	`event_id` text NOT NULL,
	`source_type` text NOT NULL,
	`config_id` text NOT NULL,
	`zone_id` text NOT NULL,
	`plan_id` text NOT NULL,
	`status` text NOT NULL,
	`entered` integer NOT NULL,
	`rights` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`event_id`, `source_type`, `config_id`, `zone_id`, `plan_id`, `status`, `entered`)
);
--> statement-breakpoint
CREATE TABLE `report_sales` (
	`event_id` text NOT NULL,
	`day` text NOT NULL,
	`config_id` text NOT NULL,
	`channel` text NOT NULL,
	`pricing_rule_id` text NOT NULL,
	`unit_price` integer NOT NULL,
	`currency` text NOT NULL,
	`orders` integer DEFAULT 0 NOT NULL,
	`units` integer DEFAULT 0 NOT NULL,
	`gross` integer DEFAULT 0 NOT NULL,
	`discount` integer DEFAULT 0 NOT NULL,
	`net` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`event_id`, `day`, `config_id`, `channel`, `pricing_rule_id`, `unit_price`, `currency`)
);
--> statement-breakpoint
CREATE TABLE `report_scans` (
	`event_id` text NOT NULL,
	`bucket` text NOT NULL,
	`access_point_id` text NOT NULL,
	`zone_id` text NOT NULL,
	`action` text NOT NULL,
	`status` text NOT NULL,
	`denial_reason` text NOT NULL,
	`is_conflict` integer NOT NULL,
	`scan_method` text NOT NULL,
	`scans` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`event_id`, `bucket`, `access_point_id`, `zone_id`, `action`, `status`, `denial_reason`, `is_conflict`, `scan_method`)
);
--> statement-breakpoint
DROP INDEX `tickets_event_status_idx`;--> statement-breakpoint
ALTER TABLE `tickets` ADD `buyer_name_key` text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE `tickets` ADD `buyer_name_key_rev` text DEFAULT '' NOT NULL;--> statement-breakpoint
CREATE INDEX `tickets_event_created_idx` ON `tickets` (`event_id`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `tickets_event_buyer_idx` ON `tickets` (`event_id`,`buyer_name_key`,`id`);--> statement-breakpoint
CREATE INDEX `tickets_event_buyer_rev_idx` ON `tickets` (`event_id`,`buyer_name_key_rev`,`id`);--> statement-breakpoint
CREATE INDEX `tickets_created_idx` ON `tickets` (`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `tickets_event_status_idx` ON `tickets` (`event_id`,`booking_status`,`created_at`,`id`);--> statement-breakpoint
DROP INDEX `access_rights_event_status_idx`;--> statement-breakpoint
DROP INDEX `access_rights_event_zone_idx`;--> statement-breakpoint
ALTER TABLE `access_rights` ADD `config_id` text REFERENCES event_ticket_config(id);--> statement-breakpoint
ALTER TABLE `access_rights` ADD `holder_name_key` text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE `access_rights` ADD `holder_name_key_rev` text DEFAULT '' NOT NULL;--> statement-breakpoint
CREATE INDEX `access_rights_event_created_idx` ON `access_rights` (`event_id`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `access_rights_event_config_idx` ON `access_rights` (`event_id`,`config_id`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `access_rights_event_source_idx` ON `access_rights` (`event_id`,`source_type`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `access_rights_event_used_idx` ON `access_rights` (`event_id`,`used_at`,`id`);--> statement-breakpoint
CREATE INDEX `access_rights_event_seat_idx` ON `access_rights` (`event_id`,`seat_id`);--> statement-breakpoint
CREATE INDEX `access_rights_event_holder_idx` ON `access_rights` (`event_id`,`holder_name_key`,`id`);--> statement-breakpoint
CREATE INDEX `access_rights_event_holder_rev_idx` ON `access_rights` (`event_id`,`holder_name_key_rev`,`id`);--> statement-breakpoint
CREATE INDEX `access_rights_created_idx` ON `access_rights` (`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `access_rights_event_status_idx` ON `access_rights` (`event_id`,`status`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `access_rights_event_zone_idx` ON `access_rights` (`event_id`,`zone_id`,`created_at`,`id`);--> statement-breakpoint
ALTER TABLE `users` ADD `search_name` text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE `users` ADD `search_name_rev` text DEFAULT '' NOT NULL;--> statement-breakpoint
CREATE INDEX `users_search_name_idx` ON `users` (`search_name`);--> statement-breakpoint
CREATE INDEX `users_search_name_rev_idx` ON `users` (`search_name_rev`);--> statement-breakpoint
ALTER TABLE `payments` ADD `event_id` text REFERENCES events(id);--> statement-breakpoint
CREATE INDEX `payments_event_created_idx` ON `payments` (`event_id`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `payments_event_status_idx` ON `payments` (`event_id`,`status`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `payments_created_idx` ON `payments` (`created_at`,`id`);--> statement-breakpoint
ALTER TABLE `refunds` ADD `event_id` text REFERENCES events(id);--> statement-breakpoint
CREATE INDEX `refunds_event_requested_idx` ON `refunds` (`event_id`,`requested_at`,`id`);--> statement-breakpoint
CREATE INDEX `refunds_requested_idx` ON `refunds` (`requested_at`,`id`);--> statement-breakpoint
CREATE INDEX `transfers_event_created_idx` ON `transfers` (`event_id`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `transfers_created_idx` ON `transfers` (`created_at`,`id`);