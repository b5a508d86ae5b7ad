-- D1 enforces foreign keys and ignores foreign_keys=OFF: deferring them lets the tables be rebuilt (their CHECK lists changed).
PRAGMA defer_foreign_keys = on;--> statement-breakpoint
CREATE TABLE `__new_payments` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text,
	`type` text NOT NULL,
	`amount` integer NOT NULL,
	`fees` integer DEFAULT 0 NOT NULL,
	`net_amount` integer NOT NULL,
	`refunded_amount` integer DEFAULT 0 NOT NULL,
	`currency` text NOT NULL,
	`status` text DEFAULT 'PENDING' NOT NULL,
	`method` text NOT NULL,
	`provider` text NOT NULL,
	`internal_reference` text NOT NULL,
	`external_reference` text,
	`idempotency_key` text,
	`ticket_id` text,
	`subscription_id` text,
	`organizer_subscription_id` text,
	`original_payment_id` text,
	`description` text,
	`payer_phone` text,
	`provider_response` text,
	`failure_reason` text,
	`metadata` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`processed_at` text,
	`paid_at` text,
	`expires_at` text,
	`checked_at` text,
	`check_count` integer DEFAULT 0 NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE set null,
	FOREIGN KEY (`ticket_id`) REFERENCES `tickets`(`id`) ON UPDATE no action ON DELETE set null,
	FOREIGN KEY (`subscription_id`) REFERENCES `subscriptions`(`id`) ON UPDATE no action ON DELETE set null,
	FOREIGN KEY (`organizer_subscription_id`) REFERENCES `organizer_subscriptions`(`id`) ON UPDATE no action ON DELETE set null,
	FOREIGN KEY (`original_payment_id`) REFERENCES `payments`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "payments_type_check" CHECK("__new_payments"."type" IN ('TICKET', 'SEASON_PASS', 'ORGANIZER_PLAN', 'COMMISSION', 'REFUND')),
	CONSTRAINT "payments_currency_check" CHECK("__new_payments"."currency" IN ('XOF', 'TND', 'EUR', 'USD')),
	CONSTRAINT "payments_status_check" CHECK("__new_payments"."status" IN ('PENDING', 'PROCESSING', 'PAID', 'FAILED', 'REFUNDED', 'PARTIALLY_REFUNDED', 'CANCELLED')),
	CONSTRAINT "payments_method_check" CHECK("__new_payments"."method" IN ('MOMO_MTN', 'MOMO_MOOV', 'CARD', 'BANK_TRANSFER', 'CASH')),
	CONSTRAINT "payments_provider_check" CHECK("__new_payments"."provider" IN ('MTN_MOMO', 'FEDAPAY', 'KKIAPAY', 'KONNECT', 'STRIPE', 'BANK', 'CASH_DESK')),
	CONSTRAINT "payments_amounts_non_negative" CHECK("__new_payments"."amount" >= 0 AND "__new_payments"."fees" >= 0),
	CONSTRAINT "payments_net_amount_is_amount_minus_fees" CHECK("__new_payments"."net_amount" = "__new_payments"."amount" - "__new_payments"."fees"),
	CONSTRAINT "payments_refunded_within_amount" CHECK("__new_payments"."refunded_amount" >= 0 AND "__new_payments"."refunded_amount" <= "__new_payments"."amount"),
	CONSTRAINT "payments_target_matches_type" CHECK(("__new_payments"."type" <> 'TICKET' OR "__new_payments"."ticket_id" IS NOT NULL) AND ("__new_payments"."type" <> 'SEASON_PASS' OR "__new_payments"."subscription_id" IS NOT NULL) AND ("__new_payments"."type" <> 'ORGANIZER_PLAN' OR "__new_payments"."organizer_subscription_id" IS NOT NULL) AND ("__new_payments"."type" <> 'REFUND' OR "__new_payments"."original_payment_id" IS NOT NULL))
);
--> statement-breakpoint
INSERT INTO `__new_payments`("id", "user_id", "type", "amount", "fees", "net_amount", "refunded_amount", "currency", "status", "method", "provider", "internal_reference", "external_reference", "idempotency_key", "ticket_id", "subscription_id", "organizer_subscription_id", "original_payment_id", "description", "payer_phone", "provider_response", "failure_reason", "metadata", "created_at", "updated_at", "processed_at", "paid_at", "expires_at", "checked_at", "check_count") SELECT "id", "user_id", "type", "amount", "fees", "net_amount", "refunded_amount", "currency", "status", "method", "provider", "internal_reference", "external_reference", "idempotency_key", "ticket_id", "subscription_id", "organizer_subscription_id", "original_payment_id", "description", "payer_phone", "provider_response", "failure_reason", "metadata", "created_at", "updated_at", "processed_at", "paid_at", "expires_at", "checked_at", "check_count" FROM `payments`;--> statement-breakpoint
DROP TABLE `payments`;--> statement-breakpoint
ALTER TABLE `__new_payments` RENAME TO `payments`;--> statement-breakpoint
PRAGMA defer_foreign_keys = off;--> statement-breakpoint
CREATE UNIQUE INDEX `payments_internal_reference_unique` ON `payments` (`internal_reference`);--> statement-breakpoint
CREATE UNIQUE INDEX `payments_provider_external_reference_unique` ON `payments` (`provider`,`external_reference`);--> statement-breakpoint
CREATE UNIQUE INDEX `payments_idempotency_key_unique` ON `payments` (`idempotency_key`);--> statement-breakpoint
CREATE INDEX `payments_user_idx` ON `payments` (`user_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `payments_status_idx` ON `payments` (`status`,`created_at`);--> statement-breakpoint
CREATE INDEX `payments_pending_expiry_idx` ON `payments` (`status`,`expires_at`);--> statement-breakpoint
CREATE INDEX `payments_provider_status_idx` ON `payments` (`provider`,`status`);--> statement-breakpoint
CREATE INDEX `payments_ticket_idx` ON `payments` (`ticket_id`);--> statement-breakpoint
CREATE INDEX `payments_subscription_idx` ON `payments` (`subscription_id`);--> statement-breakpoint
CREATE INDEX `payments_organizer_subscription_idx` ON `payments` (`organizer_subscription_id`);--> statement-breakpoint
CREATE INDEX `payments_original_idx` ON `payments` (`original_payment_id`);--> statement-breakpoint
CREATE TABLE `__new_webhook_events` (
	`id` text PRIMARY KEY NOT NULL,
	`provider` text NOT NULL,
	`provider_event_id` text NOT NULL,
	`event_type` text,
	`raw_body` text NOT NULL,
	`headers` text NOT NULL,
	`signature_valid` integer NOT NULL,
	`status` text DEFAULT 'RECEIVED' NOT NULL,
	`payment_id` text,
	`attempts` integer DEFAULT 0 NOT NULL,
	`error` text,
	`received_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`processed_at` text,
	FOREIGN KEY (`payment_id`) REFERENCES `payments`(`id`) ON UPDATE no action ON DELETE set null,
	CONSTRAINT "webhook_events_provider_check" CHECK("__new_webhook_events"."provider" IN ('MTN_MOMO', 'FEDAPAY', 'KKIAPAY', 'KONNECT', 'STRIPE', 'BANK', 'CASH_DESK')),
	CONSTRAINT "webhook_events_status_check" CHECK("__new_webhook_events"."status" IN ('RECEIVED', 'PROCESSING', 'PROCESSED', 'FAILED', 'IGNORED')),
	CONSTRAINT "webhook_events_attempts_non_negative" CHECK("__new_webhook_events"."attempts" >= 0)
);
--> statement-breakpoint
INSERT INTO `__new_webhook_events`("id", "provider", "provider_event_id", "event_type", "raw_body", "headers", "signature_valid", "status", "payment_id", "attempts", "error", "received_at", "processed_at") SELECT "id", "provider", "provider_event_id", "event_type", "raw_body", "headers", "signature_valid", "status", "payment_id", "attempts", "error", "received_at", "processed_at" FROM `webhook_events`;--> statement-breakpoint
DROP TABLE `webhook_events`;--> statement-breakpoint
ALTER TABLE `__new_webhook_events` RENAME TO `webhook_events`;--> statement-breakpoint
CREATE UNIQUE INDEX `webhook_events_provider_event_unique` ON `webhook_events` (`provider`,`provider_event_id`);--> statement-breakpoint
CREATE INDEX `webhook_events_status_idx` ON `webhook_events` (`status`,`received_at`);--> statement-breakpoint
CREATE INDEX `webhook_events_payment_idx` ON `webhook_events` (`payment_id`);