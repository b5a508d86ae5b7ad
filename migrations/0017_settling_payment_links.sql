-- Hand-edited after drizzle-kit (tickets.payment_id and subscriptions.payment_id lose their foreign key to payments, so
-- that the table files import no cycle; 0018_settling_payment_triggers.sql keeps their integrity with triggers).
-- D1 enforces foreign keys and ignores foreign_keys=OFF, so DROP TABLE of a rebuilt table runs the ON DELETE actions of
-- the tables that point at it: tickets' pricing_rule_usages and zone_mapping_overrides would be deleted and payments'
-- ticket_id set to NULL (which the CHECK payments_target_matches_type refuses for a TICKET payment, failing the migration);
-- subscriptions' pricing_rule_usages, zone_mapping_overrides, subscription_bookings and season_cards deleted and
-- payments' subscription_id set to NULL. So before the rebuild every such link is detached (prefixed with '__rebuild:',
-- which matches no row) and after it reattached: the rows never leave their tables. With foreign keys deferred, each
-- detached link counts as a violation until it is reattached, so the migration commits only if every link came back.
-- Triggers: the implicit DELETE of DROP TABLE fires none (report_sales is not touched), but ALTER TABLE … RENAME refuses
-- to run while a trigger names a table that is gone ("error in trigger …: no such table"), and a dropped table takes its
-- own triggers with it. So the thirteen triggers of 0013_backoffice_triggers.sql that name tickets or subscriptions are
-- dropped first and recreated, verbatim, at the end; no row changes in between that they would have counted.
-- test/integration/settling-payment-migration.test.ts migrates a filled database and compares every row and definition.
PRAGMA defer_foreign_keys = on;--> statement-breakpoint
DROP TRIGGER `users_search_name_update`;--> statement-breakpoint
DROP TRIGGER `tickets_buyer_insert`;--> statement-breakpoint
DROP TRIGGER `tickets_buyer_update`;--> statement-breakpoint
DROP TRIGGER `payments_event_insert`;--> statement-breakpoint
DROP TRIGGER `report_sales_insert`;--> statement-breakpoint
DROP TRIGGER `report_sales_update`;--> statement-breakpoint
DROP TRIGGER `report_sales_delete`;--> statement-breakpoint
DROP TRIGGER `report_rights_insert`;--> statement-breakpoint
DROP TRIGGER `report_rights_update`;--> statement-breakpoint
DROP TRIGGER `report_rights_delete`;--> statement-breakpoint
DROP TRIGGER `report_payments_insert`;--> statement-breakpoint
DROP TRIGGER `report_payments_update`;--> statement-breakpoint
DROP TRIGGER `report_payments_delete`;--> statement-breakpoint
UPDATE `payments` SET `ticket_id` = '__rebuild:' || `ticket_id`, `subscription_id` = '__rebuild:' || `subscription_id` WHERE `ticket_id` IS NOT NULL OR `subscription_id` IS NOT NULL;--> statement-breakpoint
UPDATE `pricing_rule_usages` SET `ticket_id` = '__rebuild:' || `ticket_id`, `subscription_id` = '__rebuild:' || `subscription_id` WHERE `ticket_id` IS NOT NULL OR `subscription_id` IS NOT NULL;--> statement-breakpoint
UPDATE `zone_mapping_overrides` SET `ticket_id` = '__rebuild:' || `ticket_id`, `subscription_id` = '__rebuild:' || `subscription_id` WHERE `ticket_id` IS NOT NULL OR `subscription_id` IS NOT NULL;--> statement-breakpoint
UPDATE `subscription_bookings` SET `subscription_id` = '__rebuild:' || `subscription_id`;--> statement-breakpoint
UPDATE `season_cards` SET `subscription_id` = '__rebuild:' || `subscription_id`;--> statement-breakpoint
PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_tickets` (
	`id` text PRIMARY KEY NOT NULL,
	`ticket_number` text NOT NULL,
	`user_id` text,
	`event_id` text NOT NULL,
	`ticket_type_id` text NOT NULL,
	`event_ticket_config_id` text,
	`quantity` integer NOT NULL,
	`unit_price` integer NOT NULL,
	`total_price` integer NOT NULL,
	`discount_amount` integer DEFAULT 0 NOT NULL,
	`currency` text NOT NULL,
	`pricing_rule_id` text,
	`payment_id` text,
	`payment_status` text DEFAULT 'PENDING' NOT NULL,
	`booking_status` text DEFAULT 'PENDING' NOT NULL,
	`booking_expires_at` text,
	`purchase_channel` text NOT NULL,
	`purchase_ip` text,
	`is_guest_purchase` integer DEFAULT false NOT NULL,
	`guest_email` text,
	`guest_phone` text,
	`metadata` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`confirmed_at` text,
	`cancelled_at` text,
	`cancellation_reason` text,
	`projection_version` integer DEFAULT 0 NOT NULL,
	`buyer_name_key` text DEFAULT '' NOT NULL,
	`buyer_name_key_rev` text DEFAULT '' NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE set null,
	FOREIGN KEY (`event_id`) REFERENCES `events`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`ticket_type_id`) REFERENCES `ticket_types`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`event_ticket_config_id`) REFERENCES `event_ticket_config`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`pricing_rule_id`) REFERENCES `pricing_rules`(`id`) ON UPDATE no action ON DELETE set null,
	CONSTRAINT "tickets_currency_check" CHECK("__new_tickets"."currency" IN ('XOF', 'TND', 'EUR', 'USD')),
	CONSTRAINT "tickets_payment_status_check" CHECK("__new_tickets"."payment_status" IN ('PENDING', 'PROCESSING', 'PAID', 'FAILED', 'REFUNDED', 'PARTIALLY_REFUNDED', 'CANCELLED')),
	CONSTRAINT "tickets_booking_status_check" CHECK("__new_tickets"."booking_status" IN ('PENDING', 'CONFIRMED', 'CANCELLED', 'EXPIRED', 'COMPLETED')),
	CONSTRAINT "tickets_purchase_channel_check" CHECK("__new_tickets"."purchase_channel" IN ('WEB', 'MOBILE', 'ONSITE', 'PARTNER')),
	CONSTRAINT "tickets_quantity_positive" CHECK("__new_tickets"."quantity" > 0),
	CONSTRAINT "tickets_amounts_non_negative" CHECK("__new_tickets"."unit_price" >= 0 AND "__new_tickets"."total_price" >= 0 AND "__new_tickets"."discount_amount" >= 0),
	CONSTRAINT "tickets_buyer_known" CHECK("__new_tickets"."user_id" IS NOT NULL OR ("__new_tickets"."is_guest_purchase" = 1 AND ("__new_tickets"."guest_email" IS NOT NULL OR "__new_tickets"."guest_phone" IS NOT NULL))),
	CONSTRAINT "tickets_pending_hold_expires" CHECK("__new_tickets"."booking_status" <> 'PENDING' OR "__new_tickets"."booking_expires_at" IS NOT NULL)
);
--> statement-breakpoint
INSERT INTO `__new_tickets`("id", "ticket_number", "user_id", "event_id", "ticket_type_id", "event_ticket_config_id", "quantity", "unit_price", "total_price", "discount_amount", "currency", "pricing_rule_id", "payment_id", "payment_status", "booking_status", "booking_expires_at", "purchase_channel", "purchase_ip", "is_guest_purchase", "guest_email", "guest_phone", "metadata", "created_at", "updated_at", "confirmed_at", "cancelled_at", "cancellation_reason", "projection_version", "buyer_name_key", "buyer_name_key_rev") SELECT "id", "ticket_number", "user_id", "event_id", "ticket_type_id", "event_ticket_config_id", "quantity", "unit_price", "total_price", "discount_amount", "currency", "pricing_rule_id", "payment_id", "payment_status", "booking_status", "booking_expires_at", "purchase_channel", "purchase_ip", "is_guest_purchase", "guest_email", "guest_phone", "metadata", "created_at", "updated_at", "confirmed_at", "cancelled_at", "cancellation_reason", "projection_version", "buyer_name_key", "buyer_name_key_rev" FROM `tickets`;--> statement-breakpoint
DROP TABLE `tickets`;--> statement-breakpoint
ALTER TABLE `__new_tickets` RENAME TO `tickets`;--> statement-breakpoint
PRAGMA foreign_keys=ON;--> statement-breakpoint
CREATE UNIQUE INDEX `tickets_ticket_number_unique` ON `tickets` (`ticket_number`);--> statement-breakpoint
CREATE INDEX `tickets_user_idx` ON `tickets` (`user_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `tickets_event_status_idx` ON `tickets` (`event_id`,`booking_status`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `tickets_event_created_idx` ON `tickets` (`event_id`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `tickets_event_buyer_idx` ON `tickets` (`event_id`,`buyer_name_key`,`id`);--> statement-breakpoint
CREATE INDEX `tickets_event_buyer_rev_idx` ON `tickets` (`event_id`,`buyer_name_key_rev`,`id`);--> statement-breakpoint
CREATE INDEX `tickets_created_idx` ON `tickets` (`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `tickets_hold_expiry_idx` ON `tickets` (`booking_status`,`booking_expires_at`);--> statement-breakpoint
CREATE INDEX `tickets_payment_idx` ON `tickets` (`payment_id`);--> statement-breakpoint
CREATE INDEX `tickets_config_idx` ON `tickets` (`event_ticket_config_id`);--> statement-breakpoint
CREATE INDEX `tickets_guest_email_idx` ON `tickets` (`guest_email`);--> statement-breakpoint
CREATE TABLE `__new_subscriptions` (
	`id` text PRIMARY KEY NOT NULL,
	`subscription_number` text NOT NULL,
	`user_id` text NOT NULL,
	`subscription_plan_id` text NOT NULL,
	`seat_id` text,
	`price_paid` integer NOT NULL,
	`currency` text NOT NULL,
	`payment_id` text,
	`valid_from` text NOT NULL,
	`valid_until` text NOT NULL,
	`status` text DEFAULT 'PENDING' NOT NULL,
	`suspension_reason` text,
	`suspension_date` text,
	`auto_renew` integer DEFAULT false NOT NULL,
	`renewal_date` text,
	`transfers_used` integer DEFAULT 0 NOT NULL,
	`last_transfer_date` text,
	`activation_date` text,
	`cancellation_date` text,
	`cancellation_reason` text,
	`metadata` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`created_by` text,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`subscription_plan_id`) REFERENCES `subscription_plans`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`seat_id`) REFERENCES `seats`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`created_by`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "subscriptions_currency_check" CHECK("__new_subscriptions"."currency" IN ('XOF', 'TND', 'EUR', 'USD')),
	CONSTRAINT "subscriptions_status_check" CHECK("__new_subscriptions"."status" IN ('PENDING', 'ACTIVE', 'SUSPENDED', 'EXPIRED', 'CANCELLED', 'TRANSFERRED')),
	CONSTRAINT "subscriptions_price_paid_non_negative" CHECK("__new_subscriptions"."price_paid" >= 0),
	CONSTRAINT "subscriptions_valid_from_date" CHECK("__new_subscriptions"."valid_from" GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
	CONSTRAINT "subscriptions_valid_until_date" CHECK("__new_subscriptions"."valid_until" GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
	CONSTRAINT "subscriptions_renewal_date_date" CHECK("__new_subscriptions"."renewal_date" IS NULL OR "__new_subscriptions"."renewal_date" GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
	CONSTRAINT "subscriptions_validity_ordered" CHECK("__new_subscriptions"."valid_until" >= "__new_subscriptions"."valid_from"),
	CONSTRAINT "subscriptions_transfers_used_non_negative" CHECK("__new_subscriptions"."transfers_used" >= 0)
);
--> statement-breakpoint
INSERT INTO `__new_subscriptions`("id", "subscription_number", "user_id", "subscription_plan_id", "seat_id", "price_paid", "currency", "payment_id", "valid_from", "valid_until", "status", "suspension_reason", "suspension_date", "auto_renew", "renewal_date", "transfers_used", "last_transfer_date", "activation_date", "cancellation_date", "cancellation_reason", "metadata", "created_at", "updated_at", "created_by") SELECT "id", "subscription_number", "user_id", "subscription_plan_id", "seat_id", "price_paid", "currency", "payment_id", "valid_from", "valid_until", "status", "suspension_reason", "suspension_date", "auto_renew", "renewal_date", "transfers_used", "last_transfer_date", "activation_date", "cancellation_date", "cancellation_reason", "metadata", "created_at", "updated_at", "created_by" FROM `subscriptions`;--> statement-breakpoint
DROP TABLE `subscriptions`;--> statement-breakpoint
ALTER TABLE `__new_subscriptions` RENAME TO `subscriptions`;--> statement-breakpoint
CREATE UNIQUE INDEX `subscriptions_number_unique` ON `subscriptions` (`subscription_number`);--> statement-breakpoint
CREATE UNIQUE INDEX `subscriptions_plan_seat_unique` ON `subscriptions` (`subscription_plan_id`,`seat_id`) WHERE "subscriptions"."seat_id" IS NOT NULL AND "subscriptions"."status" IN ('PENDING', 'ACTIVE', 'SUSPENDED');--> statement-breakpoint
CREATE INDEX `subscriptions_user_idx` ON `subscriptions` (`user_id`,`status`);--> statement-breakpoint
CREATE INDEX `subscriptions_plan_idx` ON `subscriptions` (`subscription_plan_id`,`status`);--> statement-breakpoint
CREATE INDEX `subscriptions_expiry_idx` ON `subscriptions` (`status`,`valid_until`);--> statement-breakpoint
CREATE INDEX `subscriptions_renewal_idx` ON `subscriptions` (`auto_renew`,`renewal_date`);--> statement-breakpoint
CREATE INDEX `subscriptions_payment_idx` ON `subscriptions` (`payment_id`);--> statement-breakpoint
CREATE INDEX `subscriptions_seat_idx` ON `subscriptions` (`seat_id`);--> statement-breakpoint
UPDATE `payments` SET `ticket_id` = CASE WHEN `ticket_id` GLOB '__rebuild:*' THEN substr(`ticket_id`, 11) ELSE `ticket_id` END, `subscription_id` = CASE WHEN `subscription_id` GLOB '__rebuild:*' THEN substr(`subscription_id`, 11) ELSE `subscription_id` END WHERE `ticket_id` GLOB '__rebuild:*' OR `subscription_id` GLOB '__rebuild:*';
--> statement-breakpoint
UPDATE `pricing_rule_usages` SET `ticket_id` = CASE WHEN `ticket_id` GLOB '__rebuild:*' THEN substr(`ticket_id`, 11) ELSE `ticket_id` END, `subscription_id` = CASE WHEN `subscription_id` GLOB '__rebuild:*' THEN substr(`subscription_id`, 11) ELSE `subscription_id` END WHERE `ticket_id` GLOB '__rebuild:*' OR `subscription_id` GLOB '__rebuild:*';
--> statement-breakpoint
UPDATE `zone_mapping_overrides` SET `ticket_id` = CASE WHEN `ticket_id` GLOB '__rebuild:*' THEN substr(`ticket_id`, 11) ELSE `ticket_id` END, `subscription_id` = CASE WHEN `subscription_id` GLOB '__rebuild:*' THEN substr(`subscription_id`, 11) ELSE `subscription_id` END WHERE `ticket_id` GLOB '__rebuild:*' OR `subscription_id` GLOB '__rebuild:*';
--> statement-breakpoint
UPDATE `subscription_bookings` SET `subscription_id` = CASE WHEN `subscription_id` GLOB '__rebuild:*' THEN substr(`subscription_id`, 11) ELSE `subscription_id` END WHERE `subscription_id` GLOB '__rebuild:*';
--> statement-breakpoint
UPDATE `season_cards` SET `subscription_id` = CASE WHEN `subscription_id` GLOB '__rebuild:*' THEN substr(`subscription_id`, 11) ELSE `subscription_id` END WHERE `subscription_id` GLOB '__rebuild:*';
--> statement-breakpoint
CREATE TRIGGER `users_search_name_update` AFTER UPDATE OF first_name, last_name ON users BEGIN
	UPDATE users SET search_name = replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(first_name || ' ' || last_name, 'à', 'a'), 'á', 'a'), 'â', 'a'), 'ã', 'a'), 'ä', 'a'), 'å', 'a'), 'ā', 'a'), 'ă', 'a'), 'ą', 'a'), 'À', 'a'), 'Á', 'a'), 'Â', 'a'), 'Ã', 'a'), 'Ä', 'a'), 'Å', 'a'), 'Ā', 'a'), search_name_rev = replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(last_name || ' ' || first_name, 'à', 'a'), 'á', 'a'), 'â', 'a'), 'ã', 'a'), 'ä', 'a'), 'å', 'a'), 'ā', 'a'), 'ă', 'a'), 'ą', 'a'), 'À', 'a'), 'Á', 'a'), 'Â', 'a'), 'Ã', 'a'), 'Ä', 'a'), 'Å', 'a'), 'Ā', 'a') WHERE id = new.id;
	UPDATE users SET search_name = replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(search_name, 'Ă', 'a'), 'Ą', 'a'), 'ç', 'c'), 'ć', 'c'), 'ĉ', 'c'), 'ċ', 'c'), 'č', 'c'), 'Ç', 'c'), 'Ć', 'c'), 'Ĉ', 'c'), 'Ċ', 'c'), 'Č', 'c'), 'ď', 'd'), 'đ', 'd'), 'Ď', 'd'), 'Đ', 'd'), search_name_rev = replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(search_name_rev, 'Ă', 'a'), 'Ą', 'a'), 'ç', 'c'), 'ć', 'c'), 'ĉ', 'c'), 'ċ', 'c'), 'č', 'c'), 'Ç', 'c'), 'Ć', 'c'), 'Ĉ', 'c'), 'Ċ', 'c'), 'Č', 'c'), 'ď', 'd'), 'đ', 'd'), 'Ď', 'd'), 'Đ', 'd') WHERE id = new.id;
	UPDATE users SET search_name = replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(search_name, 'è', 'e'), 'é', 'e'), 'ê', 'e'), 'ë', 'e'), 'ē', 'e'), 'ĕ', 'e'), 'ė', 'e'), 'ę', 'e'), 'ě', 'e'), 'È', 'e'), 'É', 'e'), 'Ê', 'e'), 'Ë', 'e'), 'Ē', 'e'), 'Ĕ', 'e'), 'Ė', 'e'), search_name_rev = replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(search_name_rev, 'è', 'e'), 'é', 'e'), 'ê', 'e'), 'ë', 'e'), 'ē', 'e'), 'ĕ', 'e'), 'ė', 'e'), 'ę', 'e'), 'ě', 'e'), 'È', 'e'), 'É', 'e'), 'Ê', 'e'), 'Ë', 'e'), 'Ē', 'e'), 'Ĕ', 'e'), 'Ė', 'e') WHERE id = new.id;
	UPDATE users SET search_name = replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(search_name, 'Ę', 'e'), 'Ě', 'e'), 'ĝ', 'g'), 'ğ', 'g'), 'ġ', 'g'), 'ģ', 'g'), 'Ĝ', 'g'), 'Ğ', 'g'), 'Ġ', 'g'), 'Ģ', 'g'), 'ĥ', 'h'), 'ħ', 'h'), 'Ĥ', 'h'), 'Ħ', 'h'), 'ì', 'i'), 'í', 'i'), search_name_rev = replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(search_name_rev, 'Ę', 'e'), 'Ě', 'e'), 'ĝ', 'g'), 'ğ', 'g'), 'ġ', 'g'), 'ģ', 'g'), 'Ĝ', 'g'), 'Ğ', 'g'), 'Ġ', 'g'), 'Ģ', 'g'), 'ĥ', 'h'), 'ħ', 'h'), 'Ĥ', 'h'), 'Ħ', 'h'), 'ì', 'i'), 'í', 'i') WHERE id = new.id;
	UPDATE users SET search_name = replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(search_name, 'î', 'i'), 'ï', 'i'), 'ĩ', 'i'), 'ī', 'i'), 'ĭ', 'i'), 'į', 'i'), 'ı', 'i'), 'Ì', 'i'), 'Í', 'i'), 'Î', 'i'), 'Ï', 'i'), 'Ĩ', 'i'), 'Ī', 'i'), 'Ĭ', 'i'), 'Į', 'i'), 'İ', 'i'), search_name_rev = replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(search_name_rev, 'î', 'i'), 'ï', 'i'), 'ĩ', 'i'), 'ī', 'i'), 'ĭ', 'i'), 'į', 'i'), 'ı', 'i'), 'Ì', 'i'), 'Í', 'i'), 'Î', 'i'), 'Ï', 'i'), 'Ĩ', 'i'), 'Ī', 'i'), 'Ĭ', 'i'), 'Į', 'i'), 'İ', 'i') WHERE id = new.id;
	UPDATE users SET search_name = replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(search_name, 'ñ', 'n'), 'ń', 'n'), 'ņ', 'n'), 'ň', 'n'), 'Ñ', 'n'), 'Ń', 'n'), 'Ņ', 'n'), 'Ň', 'n'), 'ò', 'o'), 'ó', 'o'), 'ô', 'o'), 'õ', 'o'), 'ö', 'o'), 'ø', 'o'), 'ō', 'o'), 'ŏ', 'o'), search_name_rev = replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(search_name_rev, 'ñ', 'n'), 'ń', 'n'), 'ņ', 'n'), 'ň', 'n'), 'Ñ', 'n'), 'Ń', 'n'), 'Ņ', 'n'), 'Ň', 'n'), 'ò', 'o'), 'ó', 'o'), 'ô', 'o'), 'õ', 'o'), 'ö', 'o'), 'ø', 'o'), 'ō', 'o'), 'ŏ', 'o') WHERE id = new.id;
	UPDATE users SET search_name = replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(search_name, 'ő', 'o'), 'Ò', 'o'), 'Ó', 'o'), 'Ô', 'o'), 'Õ', 'o'), 'Ö', 'o'), 'Ø', 'o'), 'Ō', 'o'), 'Ŏ', 'o'), 'Ő', 'o'), 'ś', 's'), 'ŝ', 's'), 'ş', 's'), 'š', 's'), 'Ś', 's'), 'Ŝ', 's'), search_name_rev = replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(search_name_rev, 'ő', 'o'), 'Ò', 'o'), 'Ó', 'o'), 'Ô', 'o'), 'Õ', 'o'), 'Ö', 'o'), 'Ø', 'o'), 'Ō', 'o'), 'Ŏ', 'o'), 'Ő', 'o'), 'ś', 's'), 'ŝ', 's'), 'ş', 's'), 'š', 's'), 'Ś', 's'), 'Ŝ', 's') WHERE id = new.id;
	UPDATE users SET search_name = replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(search_name, 'Ş', 's'), 'Š', 's'), 'ţ', 't'), 'ť', 't'), 'ŧ', 't'), 'Ţ', 't'), 'Ť', 't'), 'Ŧ', 't'), 'ù', 'u'), 'ú', 'u'), 'û', 'u'), 'ü', 'u'), 'ũ', 'u'), 'ū', 'u'), 'ŭ', 'u'), 'ů', 'u'), search_name_rev = replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(search_name_rev, 'Ş', 's'), 'Š', 's'), 'ţ', 't'), 'ť', 't'), 'ŧ', 't'), 'Ţ', 't'), 'Ť', 't'), 'Ŧ', 't'), 'ù', 'u'), 'ú', 'u'), 'û', 'u'), 'ü', 'u'), 'ũ', 'u'), 'ū', 'u'), 'ŭ', 'u'), 'ů', 'u') WHERE id = new.id;
	UPDATE users SET search_name = replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(search_name, 'ű', 'u'), 'ų', 'u'), 'Ù', 'u'), 'Ú', 'u'), 'Û', 'u'), 'Ü', 'u'), 'Ũ', 'u'), 'Ū', 'u'), 'Ŭ', 'u'), 'Ů', 'u'), 'Ű', 'u'), 'Ų', 'u'), 'ý', 'y'), 'ÿ', 'y'), 'ŷ', 'y'), 'Ý', 'y'), search_name_rev = replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(search_name_rev, 'ű', 'u'), 'ų', 'u'), 'Ù', 'u'), 'Ú', 'u'), 'Û', 'u'), 'Ü', 'u'), 'Ũ', 'u'), 'Ū', 'u'), 'Ŭ', 'u'), 'Ů', 'u'), 'Ű', 'u'), 'Ų', 'u'), 'ý', 'y'), 'ÿ', 'y'), 'ŷ', 'y'), 'Ý', 'y') WHERE id = new.id;
	UPDATE users SET search_name = replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(search_name, 'Ÿ', 'y'), 'Ŷ', 'y'), 'ź', 'z'), 'ż', 'z'), 'ž', 'z'), 'Ź', 'z'), 'Ż', 'z'), 'Ž', 'z'), 'æ', 'ae'), 'Æ', 'ae'), 'œ', 'oe'), 'Œ', 'oe'), 'ß', 'ss'), '''', ''), '’', ''), '-', ' '), search_name_rev = replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(search_name_rev, 'Ÿ', 'y'), 'Ŷ', 'y'), 'ź', 'z'), 'ż', 'z'), 'ž', 'z'), 'Ź', 'z'), 'Ż', 'z'), 'Ž', 'z'), 'æ', 'ae'), 'Æ', 'ae'), 'œ', 'oe'), 'Œ', 'oe'), 'ß', 'ss'), '''', ''), '’', ''), '-', ' ') WHERE id = new.id;
	UPDATE users SET search_name = trim(replace(replace(lower(search_name), '  ', ' '), '  ', ' ')), search_name_rev = trim(replace(replace(lower(search_name_rev), '  ', ' '), '  ', ' ')) WHERE id = new.id;
	UPDATE access_rights SET (holder_name_key, holder_name_key_rev) = (SELECT search_name, search_name_rev FROM users WHERE id = new.id) WHERE user_id = new.id;
	UPDATE tickets SET (buyer_name_key, buyer_name_key_rev) = (SELECT search_name, search_name_rev FROM users WHERE id = new.id) WHERE user_id = new.id;
END;
--> statement-breakpoint
CREATE TRIGGER `tickets_buyer_insert` AFTER INSERT ON tickets BEGIN
	UPDATE tickets SET (buyer_name_key, buyer_name_key_rev) = (coalesce((SELECT search_name FROM users WHERE id = new.user_id), ''), coalesce((SELECT search_name_rev FROM users WHERE id = new.user_id), '')) WHERE id = new.id;
END;
--> statement-breakpoint
CREATE TRIGGER `tickets_buyer_update` AFTER UPDATE OF user_id ON tickets WHEN old.user_id IS NOT new.user_id BEGIN
	UPDATE tickets SET (buyer_name_key, buyer_name_key_rev) = (coalesce((SELECT search_name FROM users WHERE id = new.user_id), ''), coalesce((SELECT search_name_rev FROM users WHERE id = new.user_id), '')) WHERE id = new.id;
END;
--> statement-breakpoint
CREATE TRIGGER `payments_event_insert` AFTER INSERT ON payments WHEN new.event_id IS NULL AND (new.ticket_id IS NOT NULL OR new.original_payment_id IS NOT NULL) BEGIN
	UPDATE payments SET event_id = coalesce((SELECT event_id FROM tickets WHERE id = new.ticket_id), (SELECT event_id FROM payments WHERE id = new.original_payment_id)) WHERE id = new.id;
END;
--> statement-breakpoint
CREATE TRIGGER `report_sales_insert` AFTER INSERT ON tickets WHEN new.booking_status IN ('CONFIRMED', 'COMPLETED') BEGIN
	INSERT INTO report_sales (event_id, day, config_id, channel, pricing_rule_id, unit_price, currency, orders, units, gross, discount, net)
	SELECT new.event_id, substr(coalesce(new.confirmed_at, new.created_at), 1, 10), coalesce(new.event_ticket_config_id, ''), new.purchase_channel, coalesce(new.pricing_rule_id, ''), new.unit_price, new.currency,
		1, new.quantity, (new.total_price + new.discount_amount), new.discount_amount, new.total_price
	WHERE new.booking_status IN ('CONFIRMED', 'COMPLETED')
	ON CONFLICT DO UPDATE SET orders = orders + excluded.orders, units = units + excluded.units, gross = gross + excluded.gross, discount = discount + excluded.discount, net = net + excluded.net;
END;
--> statement-breakpoint
CREATE TRIGGER `report_sales_update` AFTER UPDATE OF booking_status, event_id, confirmed_at, event_ticket_config_id, purchase_channel, pricing_rule_id, unit_price, currency, quantity, total_price, discount_amount ON tickets WHEN (old.booking_status IN ('CONFIRMED', 'COMPLETED') OR new.booking_status IN ('CONFIRMED', 'COMPLETED')) AND (old.booking_status IS NOT new.booking_status OR old.event_id IS NOT new.event_id OR old.confirmed_at IS NOT new.confirmed_at OR old.created_at IS NOT new.created_at OR old.event_ticket_config_id IS NOT new.event_ticket_config_id OR old.purchase_channel IS NOT new.purchase_channel OR old.pricing_rule_id IS NOT new.pricing_rule_id OR old.unit_price IS NOT new.unit_price OR old.currency IS NOT new.currency OR old.quantity IS NOT new.quantity OR old.total_price IS NOT new.total_price OR old.discount_amount IS NOT new.discount_amount) BEGIN
	INSERT INTO report_sales (event_id, day, config_id, channel, pricing_rule_id, unit_price, currency, orders, units, gross, discount, net)
	SELECT old.event_id, substr(coalesce(old.confirmed_at, old.created_at), 1, 10), coalesce(old.event_ticket_config_id, ''), old.purchase_channel, coalesce(old.pricing_rule_id, ''), old.unit_price, old.currency,
		-1, -old.quantity, -(old.total_price + old.discount_amount), -old.discount_amount, -old.total_price
	WHERE old.booking_status IN ('CONFIRMED', 'COMPLETED')
	ON CONFLICT DO UPDATE SET orders = orders + excluded.orders, units = units + excluded.units, gross = gross + excluded.gross, discount = discount + excluded.discount, net = net + excluded.net;
	INSERT INTO report_sales (event_id, day, config_id, channel, pricing_rule_id, unit_price, currency, orders, units, gross, discount, net)
	SELECT new.event_id, substr(coalesce(new.confirmed_at, new.created_at), 1, 10), coalesce(new.event_ticket_config_id, ''), new.purchase_channel, coalesce(new.pricing_rule_id, ''), new.unit_price, new.currency,
		1, new.quantity, (new.total_price + new.discount_amount), new.discount_amount, new.total_price
	WHERE new.booking_status IN ('CONFIRMED', 'COMPLETED')
	ON CONFLICT DO UPDATE SET orders = orders + excluded.orders, units = units + excluded.units, gross = gross + excluded.gross, discount = discount + excluded.discount, net = net + excluded.net;
END;
--> statement-breakpoint
CREATE TRIGGER `report_sales_delete` AFTER DELETE ON tickets WHEN old.booking_status IN ('CONFIRMED', 'COMPLETED') BEGIN
	INSERT INTO report_sales (event_id, day, config_id, channel, pricing_rule_id, unit_price, currency, orders, units, gross, discount, net)
	SELECT old.event_id, substr(coalesce(old.confirmed_at, old.created_at), 1, 10), coalesce(old.event_ticket_config_id, ''), old.purchase_channel, coalesce(old.pricing_rule_id, ''), old.unit_price, old.currency,
		-1, -old.quantity, -(old.total_price + old.discount_amount), -old.discount_amount, -old.total_price
	WHERE old.booking_status IN ('CONFIRMED', 'COMPLETED')
	ON CONFLICT DO UPDATE SET orders = orders + excluded.orders, units = units + excluded.units, gross = gross + excluded.gross, discount = discount + excluded.discount, net = net + excluded.net;
END;
--> statement-breakpoint
CREATE TRIGGER `report_rights_insert` AFTER INSERT ON access_rights BEGIN
	INSERT INTO report_rights (event_id, source_type, config_id, zone_id, plan_id, status, entered, rights)
	SELECT new.event_id, new.source_type, coalesce(new.config_id, ''), coalesce(new.zone_id, ''),
		CASE WHEN new.source_type = 'SUBSCRIPTION' THEN coalesce((SELECT subscription_plan_id FROM subscriptions WHERE id = new.source_id), '') ELSE '' END,
		new.status, new.entry_count > 0, 1
	WHERE true
	ON CONFLICT DO UPDATE SET rights = rights + excluded.rights;
END;
--> statement-breakpoint
CREATE TRIGGER `report_rights_update` AFTER UPDATE OF status, entry_count, event_id, source_type, source_id, config_id, zone_id ON access_rights WHEN old.status IS NOT new.status OR (old.entry_count > 0) IS NOT (new.entry_count > 0) OR old.event_id IS NOT new.event_id OR old.source_type IS NOT new.source_type OR old.source_id IS NOT new.source_id OR old.config_id IS NOT new.config_id OR old.zone_id IS NOT new.zone_id BEGIN
	INSERT INTO report_rights (event_id, source_type, config_id, zone_id, plan_id, status, entered, rights)
	SELECT old.event_id, old.source_type, coalesce(old.config_id, ''), coalesce(old.zone_id, ''),
		CASE WHEN old.source_type = 'SUBSCRIPTION' THEN coalesce((SELECT subscription_plan_id FROM subscriptions WHERE id = old.source_id), '') ELSE '' END,
		old.status, old.entry_count > 0, -1
	WHERE true
	ON CONFLICT DO UPDATE SET rights = rights + excluded.rights;
	INSERT INTO report_rights (event_id, source_type, config_id, zone_id, plan_id, status, entered, rights)
	SELECT new.event_id, new.source_type, coalesce(new.config_id, ''), coalesce(new.zone_id, ''),
		CASE WHEN new.source_type = 'SUBSCRIPTION' THEN coalesce((SELECT subscription_plan_id FROM subscriptions WHERE id = new.source_id), '') ELSE '' END,
		new.status, new.entry_count > 0, 1
	WHERE true
	ON CONFLICT DO UPDATE SET rights = rights + excluded.rights;
END;
--> statement-breakpoint
CREATE TRIGGER `report_rights_delete` AFTER DELETE ON access_rights BEGIN
	INSERT INTO report_rights (event_id, source_type, config_id, zone_id, plan_id, status, entered, rights)
	SELECT old.event_id, old.source_type, coalesce(old.config_id, ''), coalesce(old.zone_id, ''),
		CASE WHEN old.source_type = 'SUBSCRIPTION' THEN coalesce((SELECT subscription_plan_id FROM subscriptions WHERE id = old.source_id), '') ELSE '' END,
		old.status, old.entry_count > 0, -1
	WHERE true
	ON CONFLICT DO UPDATE SET rights = rights + excluded.rights;
END;
--> statement-breakpoint
CREATE TRIGGER `report_payments_insert` AFTER INSERT ON payments WHEN new.type <> 'REFUND' AND new.status IN ('PAID', 'PARTIALLY_REFUNDED', 'REFUNDED') BEGIN
	INSERT INTO report_payments (day, currency, provider, method, type, country, organization_id, payments, amount, fees, refunded_amount)
	SELECT substr(coalesce(new.paid_at, new.updated_at), 1, 10), new.currency, new.provider, new.method, new.type,
		coalesce(CASE new.type
			WHEN 'TICKET' THEN (SELECT v.country FROM tickets t JOIN events e ON e.id = t.event_id JOIN venues v ON v.id = e.venue_id WHERE t.id = new.ticket_id)
			WHEN 'SEASON_PASS' THEN (SELECT v.country FROM subscriptions s JOIN events e ON e.id IN (
					SELECT pe.event_id FROM subscription_plan_events pe WHERE pe.subscription_plan_id = s.subscription_plan_id
					UNION ALL SELECT ge.id FROM subscription_plan_event_groups pg JOIN events ge ON ge.event_group_id = pg.event_group_id WHERE pg.subscription_plan_id = s.subscription_plan_id)
				JOIN venues v ON v.id = e.venue_id WHERE s.id = new.subscription_id ORDER BY e.starts_at LIMIT 1)
		END, ''),
		coalesce(CASE new.type
			WHEN 'TICKET' THEN (SELECT e.organization_id FROM tickets t JOIN events e ON e.id = t.event_id WHERE t.id = new.ticket_id)
			WHEN 'SEASON_PASS' THEN (SELECT p.organization_id FROM subscriptions s JOIN subscription_plans p ON p.id = s.subscription_plan_id WHERE s.id = new.subscription_id)
			WHEN 'ORGANIZER_PLAN' THEN (SELECT o.organization_id FROM organizer_subscriptions o WHERE o.id = new.organizer_subscription_id)
		END, ''),
		1, new.amount, new.fees, new.refunded_amount
	WHERE new.type <> 'REFUND' AND new.status IN ('PAID', 'PARTIALLY_REFUNDED', 'REFUNDED')
	ON CONFLICT DO UPDATE SET payments = payments + excluded.payments, amount = amount + excluded.amount, fees = fees + excluded.fees, refunded_amount = refunded_amount + excluded.refunded_amount;
END;
--> statement-breakpoint
CREATE TRIGGER `report_payments_update` AFTER UPDATE OF status, amount, fees, refunded_amount, paid_at, currency, provider, method ON payments WHEN (old.type <> 'REFUND' AND old.status IN ('PAID', 'PARTIALLY_REFUNDED', 'REFUNDED') OR new.type <> 'REFUND' AND new.status IN ('PAID', 'PARTIALLY_REFUNDED', 'REFUNDED')) AND (old.status IS NOT new.status OR old.amount IS NOT new.amount OR old.fees IS NOT new.fees OR old.refunded_amount IS NOT new.refunded_amount OR old.paid_at IS NOT new.paid_at OR old.currency IS NOT new.currency OR old.provider IS NOT new.provider OR old.method IS NOT new.method) BEGIN
	INSERT INTO report_payments (day, currency, provider, method, type, country, organization_id, payments, amount, fees, refunded_amount)
	SELECT substr(coalesce(old.paid_at, old.updated_at), 1, 10), old.currency, old.provider, old.method, old.type,
		coalesce(CASE old.type
			WHEN 'TICKET' THEN (SELECT v.country FROM tickets t JOIN events e ON e.id = t.event_id JOIN venues v ON v.id = e.venue_id WHERE t.id = old.ticket_id)
			WHEN 'SEASON_PASS' THEN (SELECT v.country FROM subscriptions s JOIN events e ON e.id IN (
					SELECT pe.event_id FROM subscription_plan_events pe WHERE pe.subscription_plan_id = s.subscription_plan_id
					UNION ALL SELECT ge.id FROM subscription_plan_event_groups pg JOIN events ge ON ge.event_group_id = pg.event_group_id WHERE pg.subscription_plan_id = s.subscription_plan_id)
				JOIN venues v ON v.id = e.venue_id WHERE s.id = old.subscription_id ORDER BY e.starts_at LIMIT 1)
		END, ''),
		coalesce(CASE old.type
			WHEN 'TICKET' THEN (SELECT e.organization_id FROM tickets t JOIN events e ON e.id = t.event_id WHERE t.id = old.ticket_id)
			WHEN 'SEASON_PASS' THEN (SELECT p.organization_id FROM subscriptions s JOIN subscription_plans p ON p.id = s.subscription_plan_id WHERE s.id = old.subscription_id)
			WHEN 'ORGANIZER_PLAN' THEN (SELECT o.organization_id FROM organizer_subscriptions o WHERE o.id = old.organizer_subscription_id)
		END, ''),
		-1, -old.amount, -old.fees, -old.refunded_amount
	WHERE old.type <> 'REFUND' AND old.status IN ('PAID', 'PARTIALLY_REFUNDED', 'REFUNDED')
	ON CONFLICT DO UPDATE SET payments = payments + excluded.payments, amount = amount + excluded.amount, fees = fees + excluded.fees, refunded_amount = refunded_amount + excluded.refunded_amount;
	INSERT INTO report_payments (day, currency, provider, method, type, country, organization_id, payments, amount, fees, refunded_amount)
	SELECT substr(coalesce(new.paid_at, new.updated_at), 1, 10), new.currency, new.provider, new.method, new.type,
		coalesce(CASE new.type
			WHEN 'TICKET' THEN (SELECT v.country FROM tickets t JOIN events e ON e.id = t.event_id JOIN venues v ON v.id = e.venue_id WHERE t.id = new.ticket_id)
			WHEN 'SEASON_PASS' THEN (SELECT v.country FROM subscriptions s JOIN events e ON e.id IN (
					SELECT pe.event_id FROM subscription_plan_events pe WHERE pe.subscription_plan_id = s.subscription_plan_id
					UNION ALL SELECT ge.id FROM subscription_plan_event_groups pg JOIN events ge ON ge.event_group_id = pg.event_group_id WHERE pg.subscription_plan_id = s.subscription_plan_id)
				JOIN venues v ON v.id = e.venue_id WHERE s.id = new.subscription_id ORDER BY e.starts_at LIMIT 1)
		END, ''),
		coalesce(CASE new.type
			WHEN 'TICKET' THEN (SELECT e.organization_id FROM tickets t JOIN events e ON e.id = t.event_id WHERE t.id = new.ticket_id)
			WHEN 'SEASON_PASS' THEN (SELECT p.organization_id FROM subscriptions s JOIN subscription_plans p ON p.id = s.subscription_plan_id WHERE s.id = new.subscription_id)
			WHEN 'ORGANIZER_PLAN' THEN (SELECT o.organization_id FROM organizer_subscriptions o WHERE o.id = new.organizer_subscription_id)
		END, ''),
		1, new.amount, new.fees, new.refunded_amount
	WHERE new.type <> 'REFUND' AND new.status IN ('PAID', 'PARTIALLY_REFUNDED', 'REFUNDED')
	ON CONFLICT DO UPDATE SET payments = payments + excluded.payments, amount = amount + excluded.amount, fees = fees + excluded.fees, refunded_amount = refunded_amount + excluded.refunded_amount;
END;
--> statement-breakpoint
CREATE TRIGGER `report_payments_delete` AFTER DELETE ON payments WHEN old.type <> 'REFUND' AND old.status IN ('PAID', 'PARTIALLY_REFUNDED', 'REFUNDED') BEGIN
	INSERT INTO report_payments (day, currency, provider, method, type, country, organization_id, payments, amount, fees, refunded_amount)
	SELECT substr(coalesce(old.paid_at, old.updated_at), 1, 10), old.currency, old.provider, old.method, old.type,
		coalesce(CASE old.type
			WHEN 'TICKET' THEN (SELECT v.country FROM tickets t JOIN events e ON e.id = t.event_id JOIN venues v ON v.id = e.venue_id WHERE t.id = old.ticket_id)
			WHEN 'SEASON_PASS' THEN (SELECT v.country FROM subscriptions s JOIN events e ON e.id IN (
					SELECT pe.event_id FROM subscription_plan_events pe WHERE pe.subscription_plan_id = s.subscription_plan_id
					UNION ALL SELECT ge.id FROM subscription_plan_event_groups pg JOIN events ge ON ge.event_group_id = pg.event_group_id WHERE pg.subscription_plan_id = s.subscription_plan_id)
				JOIN venues v ON v.id = e.venue_id WHERE s.id = old.subscription_id ORDER BY e.starts_at LIMIT 1)
		END, ''),
		coalesce(CASE old.type
			WHEN 'TICKET' THEN (SELECT e.organization_id FROM tickets t JOIN events e ON e.id = t.event_id WHERE t.id = old.ticket_id)
			WHEN 'SEASON_PASS' THEN (SELECT p.organization_id FROM subscriptions s JOIN subscription_plans p ON p.id = s.subscription_plan_id WHERE s.id = old.subscription_id)
			WHEN 'ORGANIZER_PLAN' THEN (SELECT o.organization_id FROM organizer_subscriptions o WHERE o.id = old.organizer_subscription_id)
		END, ''),
		-1, -old.amount, -old.fees, -old.refunded_amount
	WHERE old.type <> 'REFUND' AND old.status IN ('PAID', 'PARTIALLY_REFUNDED', 'REFUNDED')
	ON CONFLICT DO UPDATE SET payments = payments + excluded.payments, amount = amount + excluded.amount, fees = fees + excluded.fees, refunded_amount = refunded_amount + excluded.refunded_amount;
END;
