CREATE TABLE `subscription_renewal_attempts` (
	`id` text PRIMARY KEY NOT NULL,
	`subscription_id` text NOT NULL,
	`attempt` integer NOT NULL,
	`status` text DEFAULT 'REQUESTED' NOT NULL,
	`renewal_id` text,
	`payment_id` text,
	`method` text,
	`failure_reason` text,
	`retry_at` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	FOREIGN KEY (`subscription_id`) REFERENCES `subscriptions`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`renewal_id`) REFERENCES `subscriptions`(`id`) ON UPDATE no action ON DELETE set null,
	FOREIGN KEY (`payment_id`) REFERENCES `payments`(`id`) ON UPDATE no action ON DELETE set null,
	CONSTRAINT "subscription_renewal_attempts_status_check" CHECK("subscription_renewal_attempts"."status" IN ('REQUESTED', 'PAID', 'FAILED')),
	CONSTRAINT "subscription_renewal_attempts_method_check" CHECK("subscription_renewal_attempts"."method" IN ('MOMO_MTN', 'MOMO_MOOV', 'CARD', 'BANK_TRANSFER')),
	CONSTRAINT "subscription_renewal_attempts_attempt_positive" CHECK("subscription_renewal_attempts"."attempt" >= 1)
);
--> statement-breakpoint
CREATE UNIQUE INDEX `subscription_renewal_attempts_unique` ON `subscription_renewal_attempts` (`subscription_id`,`attempt`);--> statement-breakpoint
CREATE INDEX `subscription_renewal_attempts_status_idx` ON `subscription_renewal_attempts` (`status`,`retry_at`);--> statement-breakpoint
CREATE INDEX `subscription_renewal_attempts_renewal_idx` ON `subscription_renewal_attempts` (`renewal_id`);--> statement-breakpoint
PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_message_deliveries` (
	`id` text PRIMARY KEY NOT NULL,
	`dedupe_key` text NOT NULL,
	`channel` text NOT NULL,
	`recipient` text NOT NULL,
	`user_id` text,
	`notification_type` text NOT NULL,
	`language` text NOT NULL,
	`data` text,
	`tickets` text,
	`priority` text DEFAULT 'NORMAL' NOT NULL,
	`status` text DEFAULT 'PENDING' NOT NULL,
	`subject` text,
	`body` text,
	`provider` text,
	`provider_message_id` text,
	`error` text,
	`attempts` integer DEFAULT 0 NOT NULL,
	`sent_to` text,
	`send_after` text,
	`claimed_until` text,
	`dead_lettered_at` text,
	`batch_id` text,
	`digest_frequency` text,
	`digest_id` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`sent_at` text,
	`delivered_at` text,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE set null,
	FOREIGN KEY (`batch_id`) REFERENCES `notification_batches`(`id`) ON UPDATE no action ON DELETE set null,
	CONSTRAINT "message_deliveries_channel_check" CHECK("__new_message_deliveries"."channel" IN ('EMAIL', 'PUSH', 'SMS', 'IN_APP')),
	CONSTRAINT "message_deliveries_status_check" CHECK("__new_message_deliveries"."status" IN ('PENDING', 'SENDING', 'SCHEDULED', 'HELD', 'SENT', 'DELIVERED', 'FAILED', 'BOUNCED', 'SKIPPED', 'DIGESTED')),
	CONSTRAINT "message_deliveries_notification_type_check" CHECK("__new_message_deliveries"."notification_type" IN ('EVENT_CREATED', 'EVENT_APPROVED', 'EVENT_REJECTED', 'EVENT_REMINDER', 'EVENT_CANCELLED', 'NEW_FOLLOWER', 'FOLLOW_EVENT', 'PAYMENT_SUCCESS', 'PAYMENT_FAILED', 'SUBSCRIPTION_EXPIRING', 'SUBSCRIPTION_EXPIRED', 'TICKET_PURCHASED', 'VERIFICATION_APPROVED', 'VERIFICATION_REJECTED', 'SYSTEM_MAINTENANCE', 'WELCOME', 'EMAIL_CODE_SIGNUP', 'EMAIL_CODE_EMAIL_CHANGE', 'EMAIL_CODE_REACTIVATION', 'ACCOUNT_CLAIM', 'ORGANIZATION_INVITATION', 'TWO_FACTOR_CODE', 'PASSWORD_RESET', 'SECURITY_ALERT', 'CONTACT_REPLY', 'TICKETS_READY', 'ACCESS_GRANTED', 'TICKET_TRANSFERRED', 'TRANSFER_OFFER', 'TRANSFER_ACCEPTED', 'TRANSFER_DECLINED', 'LOAN_RETURNED', 'ZONE_CHANGED', 'REFUND_COMPLETED', 'REFUND_REJECTED', 'ANNOUNCEMENT', 'DIGEST', 'EVENT_CANCELLED_BUYER', 'EVENT_CANCELLED_HOLDER', 'EVENT_CANCELLED_PASS', 'PASS_RENEWAL_REQUESTED', 'PASS_RENEWAL_RETRY', 'PASS_RENEWAL_FAILED', 'PASS_TRANSFERRED_OUT', 'PASS_TRANSFERRED_IN')),
	CONSTRAINT "message_deliveries_language_check" CHECK("__new_message_deliveries"."language" IN ('fr', 'ar', 'en')),
	CONSTRAINT "message_deliveries_priority_check" CHECK("__new_message_deliveries"."priority" IN ('LOW', 'NORMAL', 'HIGH', 'URGENT')),
	CONSTRAINT "message_deliveries_digest_frequency_valid" CHECK("__new_message_deliveries"."digest_frequency" IS NULL OR "__new_message_deliveries"."digest_frequency" IN ('DAILY', 'WEEKLY'))
);
--> statement-breakpoint
INSERT INTO `__new_message_deliveries`("id", "dedupe_key", "channel", "recipient", "user_id", "notification_type", "language", "data", "tickets", "priority", "status", "subject", "body", "provider", "provider_message_id", "error", "attempts", "sent_to", "send_after", "claimed_until", "dead_lettered_at", "batch_id", "digest_frequency", "digest_id", "created_at", "updated_at", "sent_at", "delivered_at") SELECT "id", "dedupe_key", "channel", "recipient", "user_id", "notification_type", "language", "data", "tickets", "priority", "status", "subject", "body", "provider", "provider_message_id", "error", "attempts", "sent_to", "send_after", "claimed_until", "dead_lettered_at", "batch_id", "digest_frequency", "digest_id", "created_at", "updated_at", "sent_at", "delivered_at" FROM `message_deliveries`;--> statement-breakpoint
DROP TABLE `message_deliveries`;--> statement-breakpoint
ALTER TABLE `__new_message_deliveries` RENAME TO `message_deliveries`;--> statement-breakpoint
PRAGMA foreign_keys=ON;--> statement-breakpoint
CREATE UNIQUE INDEX `message_deliveries_dedupe_unique` ON `message_deliveries` (`dedupe_key`,`channel`,`recipient`);--> statement-breakpoint
CREATE INDEX `message_deliveries_recipient_idx` ON `message_deliveries` (`recipient`,`created_at`);--> statement-breakpoint
CREATE INDEX `message_deliveries_user_idx` ON `message_deliveries` (`user_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `message_deliveries_status_idx` ON `message_deliveries` (`status`,`send_after`);--> statement-breakpoint
CREATE INDEX `message_deliveries_provider_idx` ON `message_deliveries` (`provider_message_id`);--> statement-breakpoint
CREATE INDEX `message_deliveries_held_idx` ON `message_deliveries` (`status`,`user_id`,`channel`);--> statement-breakpoint
CREATE INDEX `message_deliveries_batch_idx` ON `message_deliveries` (`batch_id`,`status`);--> statement-breakpoint
CREATE INDEX `message_deliveries_digest_idx` ON `message_deliveries` (`digest_id`);--> statement-breakpoint
CREATE TABLE `__new_notification_batches` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`description` text,
	`dedupe_key` text,
	`template_id` text NOT NULL,
	`notification_type` text NOT NULL,
	`channels` text NOT NULL,
	`data` text NOT NULL,
	`targeting_criteria` text NOT NULL,
	`scheduled_at` text,
	`status` text DEFAULT 'SCHEDULED' NOT NULL,
	`recipient_count` integer DEFAULT 0 NOT NULL,
	`sent_count` integer DEFAULT 0 NOT NULL,
	`delivered_count` integer DEFAULT 0 NOT NULL,
	`read_count` integer DEFAULT 0 NOT NULL,
	`failed_count` integer DEFAULT 0 NOT NULL,
	`skipped_count` integer DEFAULT 0 NOT NULL,
	`expand_cursor` text,
	`expanded_at` text,
	`release_cursor` text,
	`step` integer DEFAULT 0 NOT NULL,
	`created_by` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`started_at` text,
	`finished_at` text,
	FOREIGN KEY (`template_id`) REFERENCES `notification_templates`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`created_by`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE set null,
	CONSTRAINT "notification_batches_status_check" CHECK("__new_notification_batches"."status" IN ('SCHEDULED', 'IN_PROGRESS', 'COMPLETED', 'FAILED', 'CANCELLED')),
	CONSTRAINT "notification_batches_notification_type_check" CHECK("__new_notification_batches"."notification_type" IN ('EVENT_CREATED', 'EVENT_APPROVED', 'EVENT_REJECTED', 'EVENT_REMINDER', 'EVENT_CANCELLED', 'NEW_FOLLOWER', 'FOLLOW_EVENT', 'PAYMENT_SUCCESS', 'PAYMENT_FAILED', 'SUBSCRIPTION_EXPIRING', 'SUBSCRIPTION_EXPIRED', 'TICKET_PURCHASED', 'VERIFICATION_APPROVED', 'VERIFICATION_REJECTED', 'SYSTEM_MAINTENANCE', 'WELCOME', 'EMAIL_CODE_SIGNUP', 'EMAIL_CODE_EMAIL_CHANGE', 'EMAIL_CODE_REACTIVATION', 'ACCOUNT_CLAIM', 'ORGANIZATION_INVITATION', 'TWO_FACTOR_CODE', 'PASSWORD_RESET', 'SECURITY_ALERT', 'CONTACT_REPLY', 'TICKETS_READY', 'ACCESS_GRANTED', 'TICKET_TRANSFERRED', 'TRANSFER_OFFER', 'TRANSFER_ACCEPTED', 'TRANSFER_DECLINED', 'LOAN_RETURNED', 'ZONE_CHANGED', 'REFUND_COMPLETED', 'REFUND_REJECTED', 'ANNOUNCEMENT', 'DIGEST', 'EVENT_CANCELLED_BUYER', 'EVENT_CANCELLED_HOLDER', 'EVENT_CANCELLED_PASS', 'PASS_RENEWAL_REQUESTED', 'PASS_RENEWAL_RETRY', 'PASS_RENEWAL_FAILED', 'PASS_TRANSFERRED_OUT', 'PASS_TRANSFERRED_IN')),
	CONSTRAINT "notification_batches_counters_non_negative" CHECK("__new_notification_batches"."recipient_count" >= 0 AND "__new_notification_batches"."sent_count" >= 0 AND "__new_notification_batches"."delivered_count" >= 0 AND "__new_notification_batches"."read_count" >= 0 AND "__new_notification_batches"."failed_count" >= 0 AND "__new_notification_batches"."skipped_count" >= 0)
);
--> statement-breakpoint
INSERT INTO `__new_notification_batches`("id", "name", "description", "dedupe_key", "template_id", "notification_type", "channels", "data", "targeting_criteria", "scheduled_at", "status", "recipient_count", "sent_count", "delivered_count", "read_count", "failed_count", "skipped_count", "expand_cursor", "expanded_at", "release_cursor", "step", "created_by", "created_at", "updated_at", "started_at", "finished_at") SELECT "id", "name", "description", "dedupe_key", "template_id", "notification_type", "channels", "data", "targeting_criteria", "scheduled_at", "status", "recipient_count", "sent_count", "delivered_count", "read_count", "failed_count", "skipped_count", "expand_cursor", "expanded_at", "release_cursor", "step", "created_by", "created_at", "updated_at", "started_at", "finished_at" FROM `notification_batches`;--> statement-breakpoint
DROP TABLE `notification_batches`;--> statement-breakpoint
ALTER TABLE `__new_notification_batches` RENAME TO `notification_batches`;--> statement-breakpoint
CREATE UNIQUE INDEX `notification_batches_dedupe_unique` ON `notification_batches` (`dedupe_key`);--> statement-breakpoint
CREATE INDEX `notification_batches_due_idx` ON `notification_batches` (`status`,`scheduled_at`);--> statement-breakpoint
CREATE INDEX `notification_batches_created_by_idx` ON `notification_batches` (`created_by`,`created_at`);--> statement-breakpoint
CREATE TABLE `__new_notification_preferences` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`notification_type` text NOT NULL,
	`channel` text NOT NULL,
	`is_enabled` integer DEFAULT true NOT NULL,
	`frequency` text DEFAULT 'IMMEDIATE' NOT NULL,
	`send_time` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "notification_preferences_notification_type_check" CHECK("__new_notification_preferences"."notification_type" IN ('EVENT_CREATED', 'EVENT_APPROVED', 'EVENT_REJECTED', 'EVENT_REMINDER', 'EVENT_CANCELLED', 'NEW_FOLLOWER', 'FOLLOW_EVENT', 'PAYMENT_SUCCESS', 'PAYMENT_FAILED', 'SUBSCRIPTION_EXPIRING', 'SUBSCRIPTION_EXPIRED', 'TICKET_PURCHASED', 'VERIFICATION_APPROVED', 'VERIFICATION_REJECTED', 'SYSTEM_MAINTENANCE', 'WELCOME', 'EMAIL_CODE_SIGNUP', 'EMAIL_CODE_EMAIL_CHANGE', 'EMAIL_CODE_REACTIVATION', 'ACCOUNT_CLAIM', 'ORGANIZATION_INVITATION', 'TWO_FACTOR_CODE', 'PASSWORD_RESET', 'SECURITY_ALERT', 'CONTACT_REPLY', 'TICKETS_READY', 'ACCESS_GRANTED', 'TICKET_TRANSFERRED', 'TRANSFER_OFFER', 'TRANSFER_ACCEPTED', 'TRANSFER_DECLINED', 'LOAN_RETURNED', 'ZONE_CHANGED', 'REFUND_COMPLETED', 'REFUND_REJECTED', 'ANNOUNCEMENT', 'DIGEST', 'EVENT_CANCELLED_BUYER', 'EVENT_CANCELLED_HOLDER', 'EVENT_CANCELLED_PASS', 'PASS_RENEWAL_REQUESTED', 'PASS_RENEWAL_RETRY', 'PASS_RENEWAL_FAILED', 'PASS_TRANSFERRED_OUT', 'PASS_TRANSFERRED_IN')),
	CONSTRAINT "notification_preferences_channel_check" CHECK("__new_notification_preferences"."channel" IN ('EMAIL', 'PUSH', 'SMS', 'IN_APP')),
	CONSTRAINT "notification_preferences_frequency_check" CHECK("__new_notification_preferences"."frequency" IN ('IMMEDIATE', 'DAILY', 'WEEKLY', 'NEVER')),
	CONSTRAINT "notification_preferences_send_time_format" CHECK("__new_notification_preferences"."send_time" IS NULL OR ("__new_notification_preferences"."send_time" GLOB '[0-2][0-9]:[0-5][0-9]' AND "__new_notification_preferences"."send_time" < '24:00'))
);
--> statement-breakpoint
INSERT INTO `__new_notification_preferences`("id", "user_id", "notification_type", "channel", "is_enabled", "frequency", "send_time", "created_at", "updated_at") SELECT "id", "user_id", "notification_type", "channel", "is_enabled", "frequency", "send_time", "created_at", "updated_at" FROM `notification_preferences`;--> statement-breakpoint
DROP TABLE `notification_preferences`;--> statement-breakpoint
ALTER TABLE `__new_notification_preferences` RENAME TO `notification_preferences`;--> statement-breakpoint
CREATE UNIQUE INDEX `notification_preferences_user_type_channel_unique` ON `notification_preferences` (`user_id`,`notification_type`,`channel`);--> statement-breakpoint
CREATE INDEX `notification_preferences_digest_idx` ON `notification_preferences` (`frequency`,`send_time`);--> statement-breakpoint
CREATE TABLE `__new_notification_templates` (
	`id` text PRIMARY KEY NOT NULL,
	`notification_type` text NOT NULL,
	`language` text NOT NULL,
	`name` text NOT NULL,
	`description` text,
	`email_subject` text,
	`email_body_html` text,
	`push_title` text,
	`push_body` text,
	`sms_body` text,
	`in_app_body` text,
	`active_channels` text NOT NULL,
	`available_variables` text,
	`is_active` integer DEFAULT true NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	CONSTRAINT "notification_templates_notification_type_check" CHECK("__new_notification_templates"."notification_type" IN ('EVENT_CREATED', 'EVENT_APPROVED', 'EVENT_REJECTED', 'EVENT_REMINDER', 'EVENT_CANCELLED', 'NEW_FOLLOWER', 'FOLLOW_EVENT', 'PAYMENT_SUCCESS', 'PAYMENT_FAILED', 'SUBSCRIPTION_EXPIRING', 'SUBSCRIPTION_EXPIRED', 'TICKET_PURCHASED', 'VERIFICATION_APPROVED', 'VERIFICATION_REJECTED', 'SYSTEM_MAINTENANCE', 'WELCOME', 'EMAIL_CODE_SIGNUP', 'EMAIL_CODE_EMAIL_CHANGE', 'EMAIL_CODE_REACTIVATION', 'ACCOUNT_CLAIM', 'ORGANIZATION_INVITATION', 'TWO_FACTOR_CODE', 'PASSWORD_RESET', 'SECURITY_ALERT', 'CONTACT_REPLY', 'TICKETS_READY', 'ACCESS_GRANTED', 'TICKET_TRANSFERRED', 'TRANSFER_OFFER', 'TRANSFER_ACCEPTED', 'TRANSFER_DECLINED', 'LOAN_RETURNED', 'ZONE_CHANGED', 'REFUND_COMPLETED', 'REFUND_REJECTED', 'ANNOUNCEMENT', 'DIGEST', 'EVENT_CANCELLED_BUYER', 'EVENT_CANCELLED_HOLDER', 'EVENT_CANCELLED_PASS', 'PASS_RENEWAL_REQUESTED', 'PASS_RENEWAL_RETRY', 'PASS_RENEWAL_FAILED', 'PASS_TRANSFERRED_OUT', 'PASS_TRANSFERRED_IN')),
	CONSTRAINT "notification_templates_language_check" CHECK("__new_notification_templates"."language" IN ('fr', 'ar', 'en')),
	CONSTRAINT "notification_templates_sms_body_length" CHECK("__new_notification_templates"."sms_body" IS NULL OR length("__new_notification_templates"."sms_body") <= 160)
);
--> statement-breakpoint
INSERT INTO `__new_notification_templates`("id", "notification_type", "language", "name", "description", "email_subject", "email_body_html", "push_title", "push_body", "sms_body", "in_app_body", "active_channels", "available_variables", "is_active", "created_at", "updated_at") SELECT "id", "notification_type", "language", "name", "description", "email_subject", "email_body_html", "push_title", "push_body", "sms_body", "in_app_body", "active_channels", "available_variables", "is_active", "created_at", "updated_at" FROM `notification_templates`;--> statement-breakpoint
DROP TABLE `notification_templates`;--> statement-breakpoint
ALTER TABLE `__new_notification_templates` RENAME TO `notification_templates`;--> statement-breakpoint
CREATE UNIQUE INDEX `notification_templates_type_language_unique` ON `notification_templates` (`notification_type`,`language`);--> statement-breakpoint
CREATE TABLE `__new_notifications` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`notification_type` text NOT NULL,
	`title` text NOT NULL,
	`message` text NOT NULL,
	`object_type` text,
	`object_id` text,
	`priority` text DEFAULT 'NORMAL' NOT NULL,
	`status` text DEFAULT 'PENDING' NOT NULL,
	`action_url` text,
	`data` text,
	`batch_id` text,
	`dedupe_key` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`sent_at` text,
	`read_at` text,
	`expires_at` text,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`batch_id`) REFERENCES `notification_batches`(`id`) ON UPDATE no action ON DELETE set null,
	CONSTRAINT "notifications_notification_type_check" CHECK("__new_notifications"."notification_type" IN ('EVENT_CREATED', 'EVENT_APPROVED', 'EVENT_REJECTED', 'EVENT_REMINDER', 'EVENT_CANCELLED', 'NEW_FOLLOWER', 'FOLLOW_EVENT', 'PAYMENT_SUCCESS', 'PAYMENT_FAILED', 'SUBSCRIPTION_EXPIRING', 'SUBSCRIPTION_EXPIRED', 'TICKET_PURCHASED', 'VERIFICATION_APPROVED', 'VERIFICATION_REJECTED', 'SYSTEM_MAINTENANCE', 'WELCOME', 'EMAIL_CODE_SIGNUP', 'EMAIL_CODE_EMAIL_CHANGE', 'EMAIL_CODE_REACTIVATION', 'ACCOUNT_CLAIM', 'ORGANIZATION_INVITATION', 'TWO_FACTOR_CODE', 'PASSWORD_RESET', 'SECURITY_ALERT', 'CONTACT_REPLY', 'TICKETS_READY', 'ACCESS_GRANTED', 'TICKET_TRANSFERRED', 'TRANSFER_OFFER', 'TRANSFER_ACCEPTED', 'TRANSFER_DECLINED', 'LOAN_RETURNED', 'ZONE_CHANGED', 'REFUND_COMPLETED', 'REFUND_REJECTED', 'ANNOUNCEMENT', 'DIGEST', 'EVENT_CANCELLED_BUYER', 'EVENT_CANCELLED_HOLDER', 'EVENT_CANCELLED_PASS', 'PASS_RENEWAL_REQUESTED', 'PASS_RENEWAL_RETRY', 'PASS_RENEWAL_FAILED', 'PASS_TRANSFERRED_OUT', 'PASS_TRANSFERRED_IN')),
	CONSTRAINT "notifications_priority_check" CHECK("__new_notifications"."priority" IN ('LOW', 'NORMAL', 'HIGH', 'URGENT')),
	CONSTRAINT "notifications_status_check" CHECK("__new_notifications"."status" IN ('PENDING', 'SENT', 'DELIVERED', 'READ', 'FAILED'))
);
--> statement-breakpoint
INSERT INTO `__new_notifications`("id", "user_id", "notification_type", "title", "message", "object_type", "object_id", "priority", "status", "action_url", "data", "batch_id", "dedupe_key", "created_at", "sent_at", "read_at", "expires_at") SELECT "id", "user_id", "notification_type", "title", "message", "object_type", "object_id", "priority", "status", "action_url", "data", "batch_id", "dedupe_key", "created_at", "sent_at", "read_at", "expires_at" FROM `notifications`;--> statement-breakpoint
DROP TABLE `notifications`;--> statement-breakpoint
ALTER TABLE `__new_notifications` RENAME TO `notifications`;--> statement-breakpoint
CREATE UNIQUE INDEX `notifications_dedupe_unique` ON `notifications` (`dedupe_key`);--> statement-breakpoint
CREATE INDEX `notifications_user_idx` ON `notifications` (`user_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `notifications_user_unread_idx` ON `notifications` (`user_id`,`read_at`);--> statement-breakpoint
CREATE INDEX `notifications_status_idx` ON `notifications` (`status`,`created_at`);--> statement-breakpoint
CREATE INDEX `notifications_batch_idx` ON `notifications` (`batch_id`);--> statement-breakpoint
CREATE INDEX `notifications_object_idx` ON `notifications` (`object_type`,`object_id`);--> statement-breakpoint
ALTER TABLE `subscriptions` ADD `renewal_method` text;--> statement-breakpoint
ALTER TABLE `subscriptions` ADD `renewal_phone` text;--> statement-breakpoint
ALTER TABLE `subscriptions` ADD `renewed_from` text REFERENCES subscriptions(id);--> statement-breakpoint
ALTER TABLE `subscriptions` ADD `transferred_from` text REFERENCES subscriptions(id);--> statement-breakpoint
CREATE UNIQUE INDEX `subscriptions_transferred_from_unique` ON `subscriptions` (`transferred_from`);--> statement-breakpoint
CREATE UNIQUE INDEX `subscriptions_renewal_unique` ON `subscriptions` (`renewed_from`) WHERE "subscriptions"."renewed_from" IS NOT NULL AND "subscriptions"."status" IN ('PENDING', 'ACTIVE', 'SUSPENDED');