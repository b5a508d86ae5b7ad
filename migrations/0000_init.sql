CREATE TABLE `follows` (
	`follower_id` text NOT NULL,
	`following_id` text NOT NULL,
	`notifications_enabled` integer DEFAULT true NOT NULL,
	`followed_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	PRIMARY KEY(`follower_id`, `following_id`),
	FOREIGN KEY (`follower_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`following_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "follows_not_self" CHECK("follows"."follower_id" <> "follows"."following_id")
);
--> statement-breakpoint
CREATE INDEX `follows_following_idx` ON `follows` (`following_id`,`followed_at`);--> statement-breakpoint
CREATE INDEX `follows_follower_idx` ON `follows` (`follower_id`,`followed_at`);--> statement-breakpoint
CREATE TABLE `user_group_members` (
	`group_id` text NOT NULL,
	`user_id` text NOT NULL,
	`member_since` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`valid_until` text,
	`added_by` text,
	PRIMARY KEY(`group_id`, `user_id`),
	FOREIGN KEY (`group_id`) REFERENCES `user_groups`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`added_by`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `user_group_members_user_idx` ON `user_group_members` (`user_id`);--> statement-breakpoint
CREATE TABLE `user_groups` (
	`id` text PRIMARY KEY NOT NULL,
	`code` text NOT NULL,
	`name` text NOT NULL,
	`description` text,
	`owner_id` text,
	`is_active` integer DEFAULT true NOT NULL,
	`metadata` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	FOREIGN KEY (`owner_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `user_groups_code_unique` ON `user_groups` (`code`);--> statement-breakpoint
CREATE INDEX `user_groups_owner_idx` ON `user_groups` (`owner_id`);--> statement-breakpoint
CREATE TABLE `user_verifications` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`document_key` text NOT NULL,
	`document_content_type` text NOT NULL,
	`selfie_key` text NOT NULL,
	`selfie_content_type` text NOT NULL,
	`status` text DEFAULT 'PENDING' NOT NULL,
	`submitted_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`reviewed_at` text,
	`reviewer_id` text,
	`admin_comment` text,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`reviewer_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "user_verifications_status_check" CHECK("user_verifications"."status" IN ('PENDING', 'APPROVED', 'REJECTED', 'EXPIRED'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `user_verifications_user_unique` ON `user_verifications` (`user_id`);--> statement-breakpoint
CREATE INDEX `user_verifications_status_idx` ON `user_verifications` (`status`,`submitted_at`);--> statement-breakpoint
CREATE TABLE `users` (
	`id` text PRIMARY KEY NOT NULL,
	`email` text NOT NULL,
	`username` text,
	`password_hash` text,
	`first_name` text DEFAULT '' NOT NULL,
	`last_name` text DEFAULT '' NOT NULL,
	`phone` text,
	`date_of_birth` text,
	`profile_photo_key` text,
	`bio` text,
	`role` text DEFAULT 'USER' NOT NULL,
	`language` text DEFAULT 'fr' NOT NULL,
	`is_active` integer DEFAULT true NOT NULL,
	`is_identity_verified` integer DEFAULT false NOT NULL,
	`identity_verified_at` text,
	`email_verified_at` text,
	`notifications_email` integer DEFAULT true NOT NULL,
	`notifications_push` integer DEFAULT true NOT NULL,
	`last_login_at` text,
	`last_login_ip` text,
	`failed_login_count` integer DEFAULT 0 NOT NULL,
	`locked_until` text,
	`deactivated_at` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	CONSTRAINT "users_role_check" CHECK("users"."role" IN ('USER', 'ORGANIZER', 'CONTROLLER', 'ADMIN')),
	CONSTRAINT "users_language_check" CHECK("users"."language" IN ('fr', 'ar', 'en')),
	CONSTRAINT "users_email_lowercase" CHECK("users"."email" = lower("users"."email")),
	CONSTRAINT "users_failed_login_count_non_negative" CHECK("users"."failed_login_count" >= 0)
);
--> statement-breakpoint
CREATE UNIQUE INDEX `users_email_unique` ON `users` (`email`);--> statement-breakpoint
CREATE UNIQUE INDEX `users_username_unique` ON `users` (`username`);--> statement-breakpoint
CREATE INDEX `users_phone_idx` ON `users` (`phone`);--> statement-breakpoint
CREATE INDEX `users_role_idx` ON `users` (`role`,`created_at`);--> statement-breakpoint
CREATE TABLE `auth_sessions` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`last_used_at` text,
	`expires_at` text NOT NULL,
	`revoked_at` text,
	`revoked_reason` text,
	`ip_address` text,
	`user_agent` text,
	`device_name` text,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "auth_sessions_revoked_reason_check" CHECK("auth_sessions"."revoked_reason" IN ('LOGOUT', 'REVOKED', 'REUSE_DETECTED', 'PASSWORD_CHANGED', 'ACCOUNT_DEACTIVATED'))
);
--> statement-breakpoint
CREATE INDEX `auth_sessions_user_idx` ON `auth_sessions` (`user_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `email_verifications` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`email` text NOT NULL,
	`code_hash` text NOT NULL,
	`verification_type` text NOT NULL,
	`status` text DEFAULT 'PENDING' NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`expires_at` text NOT NULL,
	`verified_at` text,
	`attempts` integer DEFAULT 0 NOT NULL,
	`max_attempts` integer DEFAULT 5 NOT NULL,
	`ip_address` text,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "email_verifications_verification_type_check" CHECK("email_verifications"."verification_type" IN ('SIGNUP', 'EMAIL_CHANGE', 'REACTIVATION')),
	CONSTRAINT "email_verifications_status_check" CHECK("email_verifications"."status" IN ('PENDING', 'VERIFIED', 'EXPIRED', 'CANCELLED')),
	CONSTRAINT "email_verifications_attempts_bounded" CHECK("email_verifications"."attempts" >= 0 AND "email_verifications"."attempts" <= "email_verifications"."max_attempts")
);
--> statement-breakpoint
CREATE INDEX `email_verifications_user_idx` ON `email_verifications` (`user_id`,`verification_type`,`status`);--> statement-breakpoint
CREATE TABLE `login_attempts` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text,
	`email_attempted` text NOT NULL,
	`status` text NOT NULL,
	`failure_reason` text,
	`ip_address` text,
	`user_agent` text,
	`country` text,
	`city` text,
	`session_id` text,
	`session_duration_seconds` integer,
	`attempted_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE set null,
	CONSTRAINT "login_attempts_status_check" CHECK("login_attempts"."status" IN ('SUCCESS', 'FAILED', 'BLOCKED'))
);
--> statement-breakpoint
CREATE INDEX `login_attempts_user_idx` ON `login_attempts` (`user_id`,`attempted_at`);--> statement-breakpoint
CREATE INDEX `login_attempts_email_idx` ON `login_attempts` (`email_attempted`,`attempted_at`);--> statement-breakpoint
CREATE INDEX `login_attempts_session_idx` ON `login_attempts` (`session_id`);--> statement-breakpoint
CREATE TABLE `password_resets` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`token_hash` text NOT NULL,
	`status` text DEFAULT 'ACTIVE' NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`expires_at` text NOT NULL,
	`used_at` text,
	`created_ip` text,
	`used_ip` text,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "password_resets_status_check" CHECK("password_resets"."status" IN ('ACTIVE', 'USED', 'EXPIRED', 'CANCELLED'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `password_resets_token_hash_unique` ON `password_resets` (`token_hash`);--> statement-breakpoint
CREATE INDEX `password_resets_user_idx` ON `password_resets` (`user_id`,`status`);--> statement-breakpoint
CREATE TABLE `refresh_tokens` (
	`id` text PRIMARY KEY NOT NULL,
	`session_id` text NOT NULL,
	`token_hash` text NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`expires_at` text NOT NULL,
	`used_at` text,
	FOREIGN KEY (`session_id`) REFERENCES `auth_sessions`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `refresh_tokens_token_hash_unique` ON `refresh_tokens` (`token_hash`);--> statement-breakpoint
CREATE INDEX `refresh_tokens_session_idx` ON `refresh_tokens` (`session_id`);--> statement-breakpoint
CREATE TABLE `social_accounts` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`provider` text NOT NULL,
	`social_id` text NOT NULL,
	`email` text,
	`full_name` text,
	`photo_url` text,
	`access_token_encrypted` text,
	`refresh_token_encrypted` text,
	`token_expires_at` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`last_used_at` text,
	`is_active` integer DEFAULT true NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "social_accounts_provider_check" CHECK("social_accounts"."provider" IN ('GOOGLE', 'FACEBOOK'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `social_accounts_provider_social_id_unique` ON `social_accounts` (`provider`,`social_id`);--> statement-breakpoint
CREATE UNIQUE INDEX `social_accounts_user_provider_unique` ON `social_accounts` (`user_id`,`provider`);--> statement-breakpoint
CREATE TABLE `two_factor_auth` (
	`user_id` text PRIMARY KEY NOT NULL,
	`is_enabled` integer DEFAULT false NOT NULL,
	`method` text NOT NULL,
	`secret_encrypted` text,
	`last_totp_step` integer,
	`last_used_at` text,
	`activated_at` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "two_factor_auth_method_check" CHECK("two_factor_auth"."method" IN ('SMS', 'EMAIL', 'TOTP'))
);
--> statement-breakpoint
CREATE TABLE `two_factor_challenges` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`method` text NOT NULL,
	`purpose` text NOT NULL,
	`code_hash` text,
	`pending_secret_encrypted` text,
	`expires_at` text NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`max_attempts` integer DEFAULT 5 NOT NULL,
	`consumed_at` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "two_factor_challenges_method_check" CHECK("two_factor_challenges"."method" IN ('SMS', 'EMAIL', 'TOTP')),
	CONSTRAINT "two_factor_challenges_purpose_check" CHECK("two_factor_challenges"."purpose" IN ('LOGIN', 'ENABLE'))
);
--> statement-breakpoint
CREATE INDEX `two_factor_challenges_user_idx` ON `two_factor_challenges` (`user_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `two_factor_recovery_codes` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`code_hash` text NOT NULL,
	`used_at` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `two_factor_recovery_codes_user_code_unique` ON `two_factor_recovery_codes` (`user_id`,`code_hash`);--> statement-breakpoint
CREATE TABLE `message_deliveries` (
	`id` text PRIMARY KEY NOT NULL,
	`dedupe_key` text NOT NULL,
	`channel` text NOT NULL,
	`recipient` text NOT NULL,
	`user_id` text,
	`notification_type` text NOT NULL,
	`language` text NOT NULL,
	`subject` text,
	`body` text NOT NULL,
	`data` text,
	`status` text DEFAULT 'PENDING' NOT NULL,
	`provider_message_id` text,
	`error` text,
	`attempts` integer DEFAULT 0 NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`sent_at` text,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE set null,
	CONSTRAINT "message_deliveries_channel_check" CHECK("message_deliveries"."channel" IN ('EMAIL', 'PUSH', 'SMS', 'IN_APP')),
	CONSTRAINT "message_deliveries_status_check" CHECK("message_deliveries"."status" IN ('PENDING', 'SENT', 'DELIVERED', 'FAILED'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `message_deliveries_dedupe_unique` ON `message_deliveries` (`dedupe_key`);--> statement-breakpoint
CREATE INDEX `message_deliveries_recipient_idx` ON `message_deliveries` (`recipient`,`created_at`);--> statement-breakpoint
CREATE INDEX `message_deliveries_user_idx` ON `message_deliveries` (`user_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `notification_batch_recipients` (
	`batch_id` text NOT NULL,
	`user_id` text NOT NULL,
	`status` text DEFAULT 'PENDING' NOT NULL,
	`notification_id` text,
	`added_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`sent_at` text,
	PRIMARY KEY(`batch_id`, `user_id`),
	FOREIGN KEY (`batch_id`) REFERENCES `notification_batches`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`notification_id`) REFERENCES `notifications`(`id`) ON UPDATE no action ON DELETE set null,
	CONSTRAINT "notification_batch_recipients_status_check" CHECK("notification_batch_recipients"."status" IN ('PENDING', 'SENT', 'DELIVERED', 'FAILED'))
);
--> statement-breakpoint
CREATE INDEX `notification_batch_recipients_user_idx` ON `notification_batch_recipients` (`user_id`);--> statement-breakpoint
CREATE INDEX `notification_batch_recipients_pending_idx` ON `notification_batch_recipients` (`batch_id`,`status`);--> statement-breakpoint
CREATE TABLE `notification_batches` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`description` text,
	`template_id` text NOT NULL,
	`targeting_criteria` text,
	`scheduled_at` text,
	`status` text DEFAULT 'SCHEDULED' NOT NULL,
	`recipient_count` integer DEFAULT 0 NOT NULL,
	`sent_count` integer DEFAULT 0 NOT NULL,
	`delivered_count` integer DEFAULT 0 NOT NULL,
	`read_count` integer DEFAULT 0 NOT NULL,
	`created_by` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`started_at` text,
	`finished_at` text,
	FOREIGN KEY (`template_id`) REFERENCES `notification_templates`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`created_by`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE set null,
	CONSTRAINT "notification_batches_status_check" CHECK("notification_batches"."status" IN ('SCHEDULED', 'IN_PROGRESS', 'COMPLETED', 'FAILED', 'CANCELLED')),
	CONSTRAINT "notification_batches_counters_non_negative" CHECK("notification_batches"."recipient_count" >= 0 AND "notification_batches"."sent_count" >= 0 AND "notification_batches"."delivered_count" >= 0 AND "notification_batches"."read_count" >= 0)
);
--> statement-breakpoint
CREATE INDEX `notification_batches_due_idx` ON `notification_batches` (`status`,`scheduled_at`);--> statement-breakpoint
CREATE INDEX `notification_batches_created_by_idx` ON `notification_batches` (`created_by`,`created_at`);--> statement-breakpoint
CREATE TABLE `notification_preferences` (
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
	CONSTRAINT "notification_preferences_notification_type_check" CHECK("notification_preferences"."notification_type" IN ('EVENT_CREATED', 'EVENT_APPROVED', 'EVENT_REJECTED', 'EVENT_REMINDER', 'EVENT_CANCELLED', 'NEW_FOLLOWER', 'FOLLOW_EVENT', 'PAYMENT_SUCCESS', 'PAYMENT_FAILED', 'SUBSCRIPTION_EXPIRING', 'SUBSCRIPTION_EXPIRED', 'TICKET_PURCHASED', 'VERIFICATION_APPROVED', 'VERIFICATION_REJECTED', 'SYSTEM_MAINTENANCE', 'WELCOME', 'TICKET_TRANSFERRED', 'ZONE_CHANGED', 'REFUND_PROCESSED')),
	CONSTRAINT "notification_preferences_channel_check" CHECK("notification_preferences"."channel" IN ('EMAIL', 'PUSH', 'SMS', 'IN_APP')),
	CONSTRAINT "notification_preferences_frequency_check" CHECK("notification_preferences"."frequency" IN ('IMMEDIATE', 'DAILY', 'WEEKLY', 'NEVER')),
	CONSTRAINT "notification_preferences_send_time_format" CHECK("notification_preferences"."send_time" IS NULL OR ("notification_preferences"."send_time" GLOB '[0-2][0-9]:[0-5][0-9]' AND "notification_preferences"."send_time" < '24:00'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `notification_preferences_user_type_channel_unique` ON `notification_preferences` (`user_id`,`notification_type`,`channel`);--> statement-breakpoint
CREATE INDEX `notification_preferences_digest_idx` ON `notification_preferences` (`frequency`,`send_time`);--> statement-breakpoint
CREATE TABLE `notification_templates` (
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
	CONSTRAINT "notification_templates_notification_type_check" CHECK("notification_templates"."notification_type" IN ('EVENT_CREATED', 'EVENT_APPROVED', 'EVENT_REJECTED', 'EVENT_REMINDER', 'EVENT_CANCELLED', 'NEW_FOLLOWER', 'FOLLOW_EVENT', 'PAYMENT_SUCCESS', 'PAYMENT_FAILED', 'SUBSCRIPTION_EXPIRING', 'SUBSCRIPTION_EXPIRED', 'TICKET_PURCHASED', 'VERIFICATION_APPROVED', 'VERIFICATION_REJECTED', 'SYSTEM_MAINTENANCE', 'WELCOME', 'TICKET_TRANSFERRED', 'ZONE_CHANGED', 'REFUND_PROCESSED')),
	CONSTRAINT "notification_templates_language_check" CHECK("notification_templates"."language" IN ('fr', 'ar', 'en')),
	CONSTRAINT "notification_templates_sms_body_length" CHECK("notification_templates"."sms_body" IS NULL OR length("notification_templates"."sms_body") <= 160)
);
--> statement-breakpoint
CREATE UNIQUE INDEX `notification_templates_type_language_unique` ON `notification_templates` (`notification_type`,`language`);--> statement-breakpoint
CREATE TABLE `notifications` (
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
	CONSTRAINT "notifications_notification_type_check" CHECK("notifications"."notification_type" IN ('EVENT_CREATED', 'EVENT_APPROVED', 'EVENT_REJECTED', 'EVENT_REMINDER', 'EVENT_CANCELLED', 'NEW_FOLLOWER', 'FOLLOW_EVENT', 'PAYMENT_SUCCESS', 'PAYMENT_FAILED', 'SUBSCRIPTION_EXPIRING', 'SUBSCRIPTION_EXPIRED', 'TICKET_PURCHASED', 'VERIFICATION_APPROVED', 'VERIFICATION_REJECTED', 'SYSTEM_MAINTENANCE', 'WELCOME', 'TICKET_TRANSFERRED', 'ZONE_CHANGED', 'REFUND_PROCESSED')),
	CONSTRAINT "notifications_priority_check" CHECK("notifications"."priority" IN ('LOW', 'NORMAL', 'HIGH', 'URGENT')),
	CONSTRAINT "notifications_status_check" CHECK("notifications"."status" IN ('PENDING', 'SENT', 'DELIVERED', 'READ', 'FAILED'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `notifications_dedupe_unique` ON `notifications` (`dedupe_key`);--> statement-breakpoint
CREATE INDEX `notifications_user_idx` ON `notifications` (`user_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `notifications_user_unread_idx` ON `notifications` (`user_id`,`read_at`);--> statement-breakpoint
CREATE INDEX `notifications_status_idx` ON `notifications` (`status`,`created_at`);--> statement-breakpoint
CREATE INDEX `notifications_batch_idx` ON `notifications` (`batch_id`);--> statement-breakpoint
CREATE INDEX `notifications_object_idx` ON `notifications` (`object_type`,`object_id`);--> statement-breakpoint
CREATE TABLE `push_tokens` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`token` text NOT NULL,
	`platform` text NOT NULL,
	`device_name` text,
	`app_version` text,
	`os_version` text,
	`is_active` integer DEFAULT true NOT NULL,
	`last_used_at` text,
	`sent_count` integer DEFAULT 0 NOT NULL,
	`delivered_count` integer DEFAULT 0 NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "push_tokens_platform_check" CHECK("push_tokens"."platform" IN ('ANDROID', 'IOS', 'WEB')),
	CONSTRAINT "push_tokens_counters_non_negative" CHECK("push_tokens"."sent_count" >= 0 AND "push_tokens"."delivered_count" >= 0)
);
--> statement-breakpoint
CREATE UNIQUE INDEX `push_tokens_token_unique` ON `push_tokens` (`token`);--> statement-breakpoint
CREATE INDEX `push_tokens_user_idx` ON `push_tokens` (`user_id`,`is_active`);--> statement-breakpoint
CREATE TABLE `dead_letters` (
	`id` text PRIMARY KEY NOT NULL,
	`queue` text NOT NULL,
	`message_id` text NOT NULL,
	`body` text,
	`attempts` integer NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`replayed_at` text
);
--> statement-breakpoint
CREATE UNIQUE INDEX `dead_letters_queue_message_unique` ON `dead_letters` (`queue`,`message_id`);--> statement-breakpoint
CREATE INDEX `dead_letters_received_idx` ON `dead_letters` (`created_at`);--> statement-breakpoint
CREATE TABLE `app_settings` (
	`id` text PRIMARY KEY NOT NULL,
	`key` text NOT NULL,
	`value` text NOT NULL,
	`value_type` text DEFAULT 'STRING' NOT NULL,
	`description` text,
	`category` text DEFAULT 'general' NOT NULL,
	`is_editable` integer DEFAULT true NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	CONSTRAINT "app_settings_value_type_check" CHECK("app_settings"."value_type" IN ('STRING', 'INTEGER', 'FLOAT', 'BOOLEAN', 'JSON'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `app_settings_key_unique` ON `app_settings` (`key`);--> statement-breakpoint
CREATE INDEX `app_settings_category_idx` ON `app_settings` (`category`);--> statement-breakpoint
CREATE TABLE `audit_log` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text,
	`action` text NOT NULL,
	`description` text DEFAULT '' NOT NULL,
	`object_type` text,
	`object_id` text,
	`ip_address` text,
	`user_agent` text,
	`data_before` text,
	`data_after` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE set null,
	CONSTRAINT "audit_log_action_check" CHECK("audit_log"."action" IN ('CREATE', 'UPDATE', 'DELETE', 'LOGIN', 'LOGOUT', 'APPROVE', 'REJECT', 'PAYMENT', 'REFUND', 'EXPORT', 'IMPORT', 'CONFIG')),
	CONSTRAINT "audit_log_object_ref_complete" CHECK(("audit_log"."object_type" IS NULL) = ("audit_log"."object_id" IS NULL))
);
--> statement-breakpoint
CREATE INDEX `audit_log_object_idx` ON `audit_log` (`object_type`,`object_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `audit_log_user_idx` ON `audit_log` (`user_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `audit_log_action_idx` ON `audit_log` (`action`,`created_at`);--> statement-breakpoint
CREATE INDEX `audit_log_created_idx` ON `audit_log` (`created_at`);--> statement-breakpoint
CREATE TABLE `contact_messages` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text,
	`name` text NOT NULL,
	`email` text NOT NULL,
	`phone` text,
	`category` text NOT NULL,
	`subject` text NOT NULL,
	`message` text NOT NULL,
	`status` text DEFAULT 'NEW' NOT NULL,
	`assigned_to` text,
	`response` text,
	`ip_address` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`handled_at` text,
	`resolved_at` text,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE set null,
	FOREIGN KEY (`assigned_to`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE set null,
	CONSTRAINT "contact_messages_category_check" CHECK("contact_messages"."category" IN ('SUPPORT', 'BILLING', 'SUGGESTION', 'COMPLAINT', 'OTHER')),
	CONSTRAINT "contact_messages_status_check" CHECK("contact_messages"."status" IN ('NEW', 'IN_PROGRESS', 'RESOLVED', 'CLOSED'))
);
--> statement-breakpoint
CREATE INDEX `contact_messages_status_idx` ON `contact_messages` (`status`,`created_at`);--> statement-breakpoint
CREATE INDEX `contact_messages_assigned_idx` ON `contact_messages` (`assigned_to`,`status`);--> statement-breakpoint
CREATE INDEX `contact_messages_user_idx` ON `contact_messages` (`user_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `contact_messages_email_idx` ON `contact_messages` (`email`,`created_at`);--> statement-breakpoint
CREATE TABLE `faq_votes` (
	`id` text PRIMARY KEY NOT NULL,
	`faq_id` text NOT NULL,
	`voter_key` text NOT NULL,
	`user_id` text,
	`is_helpful` integer NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	FOREIGN KEY (`faq_id`) REFERENCES `faqs`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE UNIQUE INDEX `faq_votes_faq_voter_unique` ON `faq_votes` (`faq_id`,`voter_key`);--> statement-breakpoint
CREATE INDEX `faq_votes_user_idx` ON `faq_votes` (`user_id`);--> statement-breakpoint
CREATE TABLE `faqs` (
	`id` text PRIMARY KEY NOT NULL,
	`question` text NOT NULL,
	`answer` text NOT NULL,
	`category` text DEFAULT 'GENERAL' NOT NULL,
	`language` text DEFAULT 'fr' NOT NULL,
	`display_order` integer DEFAULT 0 NOT NULL,
	`is_active` integer DEFAULT true NOT NULL,
	`view_count` integer DEFAULT 0 NOT NULL,
	`helpful_yes_count` integer DEFAULT 0 NOT NULL,
	`helpful_no_count` integer DEFAULT 0 NOT NULL,
	`created_by` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	FOREIGN KEY (`created_by`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE set null,
	CONSTRAINT "faqs_category_check" CHECK("faqs"."category" IN ('GENERAL', 'ACCOUNT', 'EVENTS', 'PAYMENTS', 'SUBSCRIPTIONS', 'TECHNICAL')),
	CONSTRAINT "faqs_language_check" CHECK("faqs"."language" IN ('fr', 'ar', 'en')),
	CONSTRAINT "faqs_counters_non_negative" CHECK("faqs"."display_order" >= 0 AND "faqs"."view_count" >= 0 AND "faqs"."helpful_yes_count" >= 0 AND "faqs"."helpful_no_count" >= 0)
);
--> statement-breakpoint
CREATE INDEX `faqs_listing_idx` ON `faqs` (`is_active`,`language`,`category`,`display_order`);--> statement-breakpoint
CREATE TABLE `system_statuses` (
	`id` text PRIMARY KEY NOT NULL,
	`title` text NOT NULL,
	`description` text DEFAULT '' NOT NULL,
	`status` text NOT NULL,
	`severity` text DEFAULT 'INFO' NOT NULL,
	`starts_at` text NOT NULL,
	`expected_end_at` text,
	`ended_at` text,
	`show_banner` integer DEFAULT false NOT NULL,
	`block_access` integer DEFAULT false NOT NULL,
	`created_by` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	FOREIGN KEY (`created_by`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE set null,
	CONSTRAINT "system_statuses_status_check" CHECK("system_statuses"."status" IN ('OPERATIONAL', 'DEGRADED', 'MAINTENANCE', 'INCIDENT', 'OFFLINE')),
	CONSTRAINT "system_statuses_severity_check" CHECK("system_statuses"."severity" IN ('INFO', 'WARNING', 'CRITICAL')),
	CONSTRAINT "system_statuses_expected_end_after_start" CHECK("system_statuses"."expected_end_at" IS NULL OR "system_statuses"."expected_end_at" >= "system_statuses"."starts_at"),
	CONSTRAINT "system_statuses_end_after_start" CHECK("system_statuses"."ended_at" IS NULL OR "system_statuses"."ended_at" >= "system_statuses"."starts_at")
);
--> statement-breakpoint
CREATE INDEX `system_statuses_current_idx` ON `system_statuses` (`ended_at`,`starts_at`);--> statement-breakpoint
CREATE INDEX `system_statuses_status_idx` ON `system_statuses` (`status`,`starts_at`);--> statement-breakpoint
CREATE TABLE `access_point_zones` (
	`access_point_id` text NOT NULL,
	`zone_id` text NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	PRIMARY KEY(`access_point_id`, `zone_id`),
	FOREIGN KEY (`access_point_id`) REFERENCES `access_points`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`zone_id`) REFERENCES `venue_zones`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `access_point_zones_zone_idx` ON `access_point_zones` (`zone_id`);--> statement-breakpoint
CREATE TABLE `access_points` (
	`id` text PRIMARY KEY NOT NULL,
	`venue_id` text NOT NULL,
	`code` text NOT NULL,
	`name` text NOT NULL,
	`direction` text DEFAULT 'BOTH' NOT NULL,
	`latitude` real,
	`longitude` real,
	`is_active` integer DEFAULT true NOT NULL,
	`metadata` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	FOREIGN KEY (`venue_id`) REFERENCES `venues`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "access_points_direction_check" CHECK("access_points"."direction" IN ('ENTRY', 'EXIT', 'BOTH'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `access_points_venue_code_unique` ON `access_points` (`venue_id`,`code`);--> statement-breakpoint
CREATE TABLE `event_categories` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`description` text,
	`icon` text,
	`color` text,
	`display_order` integer DEFAULT 0 NOT NULL,
	`is_active` integer DEFAULT true NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	CONSTRAINT "event_categories_color_hex" CHECK("event_categories"."color" IS NULL OR (length("event_categories"."color") = 7 AND substr("event_categories"."color", 1, 1) = '#' AND substr("event_categories"."color", 2) NOT GLOB '*[^0-9A-Fa-f]*')),
	CONSTRAINT "event_categories_display_order_non_negative" CHECK("event_categories"."display_order" >= 0)
);
--> statement-breakpoint
CREATE UNIQUE INDEX `event_categories_name_unique` ON `event_categories` (`name`);--> statement-breakpoint
CREATE INDEX `event_categories_active_order_idx` ON `event_categories` (`is_active`,`display_order`);--> statement-breakpoint
CREATE TABLE `event_groups` (
	`id` text PRIMARY KEY NOT NULL,
	`code` text NOT NULL,
	`name` text NOT NULL,
	`description` text,
	`group_type` text DEFAULT 'SEASON' NOT NULL,
	`sport` text,
	`season` text,
	`starts_on` text,
	`ends_on` text,
	`organizer_id` text,
	`is_active` integer DEFAULT true NOT NULL,
	`metadata` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	FOREIGN KEY (`organizer_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE set null,
	CONSTRAINT "event_groups_group_type_check" CHECK("event_groups"."group_type" IN ('SEASON', 'COMPETITION', 'TOURNAMENT', 'SERIES', 'OTHER')),
	CONSTRAINT "event_groups_starts_on_date" CHECK("event_groups"."starts_on" IS NULL OR "event_groups"."starts_on" GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
	CONSTRAINT "event_groups_ends_on_date" CHECK("event_groups"."ends_on" IS NULL OR "event_groups"."ends_on" GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
	CONSTRAINT "event_groups_dates_ordered" CHECK("event_groups"."starts_on" IS NULL OR "event_groups"."ends_on" IS NULL OR "event_groups"."ends_on" >= "event_groups"."starts_on")
);
--> statement-breakpoint
CREATE UNIQUE INDEX `event_groups_code_unique` ON `event_groups` (`code`);--> statement-breakpoint
CREATE INDEX `event_groups_organizer_idx` ON `event_groups` (`organizer_id`);--> statement-breakpoint
CREATE TABLE `event_participations` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`event_id` text NOT NULL,
	`status` text NOT NULL,
	`comment` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`event_id`) REFERENCES `events`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "event_participations_status_check" CHECK("event_participations"."status" IN ('INTERESTED', 'GOING', 'ATTENDED', 'CANCELLED'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `event_participations_event_user_unique` ON `event_participations` (`event_id`,`user_id`);--> statement-breakpoint
CREATE INDEX `event_participations_user_idx` ON `event_participations` (`user_id`,`status`,`created_at`);--> statement-breakpoint
CREATE INDEX `event_participations_event_status_idx` ON `event_participations` (`event_id`,`status`);--> statement-breakpoint
CREATE TABLE `event_shares` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text,
	`event_id` text NOT NULL,
	`platform` text NOT NULL,
	`code` text NOT NULL,
	`click_count` integer DEFAULT 0 NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE set null,
	FOREIGN KEY (`event_id`) REFERENCES `events`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "event_shares_platform_check" CHECK("event_shares"."platform" IN ('FACEBOOK', 'TWITTER', 'INSTAGRAM', 'WHATSAPP', 'LINKEDIN', 'EMAIL', 'LINK')),
	CONSTRAINT "event_shares_click_count_non_negative" CHECK("event_shares"."click_count" >= 0)
);
--> statement-breakpoint
CREATE UNIQUE INDEX `event_shares_code_unique` ON `event_shares` (`code`);--> statement-breakpoint
CREATE INDEX `event_shares_event_idx` ON `event_shares` (`event_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `event_shares_user_idx` ON `event_shares` (`user_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `event_staff` (
	`id` text PRIMARY KEY NOT NULL,
	`event_id` text NOT NULL,
	`user_id` text NOT NULL,
	`role` text DEFAULT 'CONTROLLER' NOT NULL,
	`access_point_id` text,
	`assigned_by` text,
	`is_active` integer DEFAULT true NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	FOREIGN KEY (`event_id`) REFERENCES `events`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`access_point_id`) REFERENCES `access_points`(`id`) ON UPDATE no action ON DELETE set null,
	FOREIGN KEY (`assigned_by`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE set null,
	CONSTRAINT "event_staff_role_check" CHECK("event_staff"."role" IN ('CONTROLLER', 'SUPERVISOR'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `event_staff_event_user_unique` ON `event_staff` (`event_id`,`user_id`);--> statement-breakpoint
CREATE INDEX `event_staff_user_idx` ON `event_staff` (`user_id`,`is_active`);--> statement-breakpoint
CREATE TABLE `event_views` (
	`id` text PRIMARY KEY NOT NULL,
	`event_id` text NOT NULL,
	`viewer_key` text NOT NULL,
	`user_id` text,
	`day` text NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	FOREIGN KEY (`event_id`) REFERENCES `events`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE set null,
	CONSTRAINT "event_views_day_date" CHECK("event_views"."day" GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]')
);
--> statement-breakpoint
CREATE UNIQUE INDEX `event_views_event_viewer_day_unique` ON `event_views` (`event_id`,`viewer_key`,`day`);--> statement-breakpoint
CREATE INDEX `event_views_event_day_idx` ON `event_views` (`event_id`,`day`);--> statement-breakpoint
CREATE TABLE `events` (
	`id` text PRIMARY KEY NOT NULL,
	`title` text NOT NULL,
	`description` text DEFAULT '' NOT NULL,
	`short_description` text,
	`starts_at` text NOT NULL,
	`ends_at` text NOT NULL,
	`doors_open_at` text,
	`timezone` text NOT NULL,
	`venue_id` text,
	`venue_name` text NOT NULL,
	`address` text,
	`latitude` real,
	`longitude` real,
	`google_maps_url` text,
	`event_group_id` text,
	`match_type` text,
	`is_home_match` integer,
	`organizer_id` text NOT NULL,
	`created_by` text NOT NULL,
	`category_id` text,
	`access_type` text DEFAULT 'FREE' NOT NULL,
	`price` integer,
	`currency` text NOT NULL,
	`max_capacity` integer,
	`cover_image_key` text,
	`status` text DEFAULT 'DRAFT' NOT NULL,
	`reviewed_at` text,
	`reviewed_by` text,
	`review_comment` text,
	`cancelled_at` text,
	`cancellation_reason` text,
	`view_count` integer DEFAULT 0 NOT NULL,
	`share_count` integer DEFAULT 0 NOT NULL,
	`ticketing_enabled` integer DEFAULT false NOT NULL,
	`ticketing_commission_bp` integer,
	`metadata` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	FOREIGN KEY (`venue_id`) REFERENCES `venues`(`id`) ON UPDATE no action ON DELETE set null,
	FOREIGN KEY (`event_group_id`) REFERENCES `event_groups`(`id`) ON UPDATE no action ON DELETE set null,
	FOREIGN KEY (`organizer_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`created_by`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`category_id`) REFERENCES `event_categories`(`id`) ON UPDATE no action ON DELETE set null,
	FOREIGN KEY (`reviewed_by`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "events_status_check" CHECK("events"."status" IN ('DRAFT', 'PENDING_REVIEW', 'APPROVED', 'REJECTED', 'CANCELLED', 'COMPLETED')),
	CONSTRAINT "events_access_type_check" CHECK("events"."access_type" IN ('FREE', 'PAID', 'INVITATION')),
	CONSTRAINT "events_currency_check" CHECK("events"."currency" IN ('XOF', 'TND', 'EUR', 'USD')),
	CONSTRAINT "events_ends_after_start" CHECK("events"."ends_at" > "events"."starts_at"),
	CONSTRAINT "events_doors_before_end" CHECK("events"."doors_open_at" IS NULL OR "events"."doors_open_at" < "events"."ends_at"),
	CONSTRAINT "events_price_non_negative" CHECK("events"."price" IS NULL OR "events"."price" >= 0),
	CONSTRAINT "events_paid_has_price" CHECK("events"."access_type" <> 'PAID' OR "events"."price" IS NOT NULL),
	CONSTRAINT "events_max_capacity_positive" CHECK("events"."max_capacity" IS NULL OR "events"."max_capacity" > 0),
	CONSTRAINT "events_counters_non_negative" CHECK("events"."view_count" >= 0 AND "events"."share_count" >= 0),
	CONSTRAINT "events_commission_bp_range" CHECK("events"."ticketing_commission_bp" IS NULL OR "events"."ticketing_commission_bp" BETWEEN 0 AND 10000),
	CONSTRAINT "events_latitude_range" CHECK("events"."latitude" IS NULL OR "events"."latitude" BETWEEN -90 AND 90),
	CONSTRAINT "events_longitude_range" CHECK("events"."longitude" IS NULL OR "events"."longitude" BETWEEN -180 AND 180)
);
--> statement-breakpoint
CREATE INDEX `events_status_starts_idx` ON `events` (`status`,`starts_at`);--> statement-breakpoint
CREATE INDEX `events_organizer_idx` ON `events` (`organizer_id`,`starts_at`);--> statement-breakpoint
CREATE INDEX `events_created_by_idx` ON `events` (`created_by`);--> statement-breakpoint
CREATE INDEX `events_category_idx` ON `events` (`category_id`,`starts_at`);--> statement-breakpoint
CREATE INDEX `events_venue_idx` ON `events` (`venue_id`,`starts_at`);--> statement-breakpoint
CREATE INDEX `events_group_idx` ON `events` (`event_group_id`,`starts_at`);--> statement-breakpoint
CREATE TABLE `seats` (
	`id` text PRIMARY KEY NOT NULL,
	`zone_id` text NOT NULL,
	`section` text NOT NULL,
	`row` text NOT NULL,
	`number` text NOT NULL,
	`is_accessible` integer DEFAULT false NOT NULL,
	`is_active` integer DEFAULT true NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	FOREIGN KEY (`zone_id`) REFERENCES `venue_zones`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `seats_zone_position_unique` ON `seats` (`zone_id`,`section`,`row`,`number`);--> statement-breakpoint
CREATE TABLE `venue_zones` (
	`id` text PRIMARY KEY NOT NULL,
	`venue_id` text NOT NULL,
	`code` text NOT NULL,
	`name` text NOT NULL,
	`category` text NOT NULL,
	`capacity` integer NOT NULL,
	`is_seated` integer DEFAULT false NOT NULL,
	`is_active` integer DEFAULT true NOT NULL,
	`metadata` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	FOREIGN KEY (`venue_id`) REFERENCES `venues`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "venue_zones_category_check" CHECK("venue_zones"."category" IN ('VIP', 'PREMIUM', 'STANDARD', 'BASIC', 'COMPLIMENTARY', 'VISITORS', 'PRESS', 'STAFF')),
	CONSTRAINT "venue_zones_capacity_non_negative" CHECK("venue_zones"."capacity" >= 0)
);
--> statement-breakpoint
CREATE UNIQUE INDEX `venue_zones_venue_code_unique` ON `venue_zones` (`venue_id`,`code`);--> statement-breakpoint
CREATE INDEX `venue_zones_venue_category_idx` ON `venue_zones` (`venue_id`,`category`);--> statement-breakpoint
CREATE TABLE `venues` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`address` text,
	`city` text,
	`country` text,
	`latitude` real,
	`longitude` real,
	`google_maps_url` text,
	`timezone` text NOT NULL,
	`capacity` integer,
	`owner_id` text,
	`is_active` integer DEFAULT true NOT NULL,
	`metadata` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	FOREIGN KEY (`owner_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE set null,
	CONSTRAINT "venues_capacity_non_negative" CHECK("venues"."capacity" IS NULL OR "venues"."capacity" >= 0),
	CONSTRAINT "venues_latitude_range" CHECK("venues"."latitude" IS NULL OR "venues"."latitude" BETWEEN -90 AND 90),
	CONSTRAINT "venues_longitude_range" CHECK("venues"."longitude" IS NULL OR "venues"."longitude" BETWEEN -180 AND 180)
);
--> statement-breakpoint
CREATE INDEX `venues_city_idx` ON `venues` (`country`,`city`);--> statement-breakpoint
CREATE INDEX `venues_owner_idx` ON `venues` (`owner_id`);--> statement-breakpoint
CREATE TABLE `event_ticket_config` (
	`id` text PRIMARY KEY NOT NULL,
	`event_id` text NOT NULL,
	`ticket_type_id` text NOT NULL,
	`price` integer NOT NULL,
	`currency` text NOT NULL,
	`quantity_total` integer NOT NULL,
	`quantity_sold` integer DEFAULT 0 NOT NULL,
	`quantity_reserved` integer DEFAULT 0 NOT NULL,
	`quantity_blocked` integer DEFAULT 0 NOT NULL,
	`sales_start` text,
	`sales_end` text,
	`early_bird_end` text,
	`min_purchase` integer DEFAULT 1 NOT NULL,
	`max_purchase` integer,
	`requires_membership` integer DEFAULT false NOT NULL,
	`membership_group_id` text,
	`member_only_until` text,
	`zone_mapping` text,
	`dynamic_pricing` integer DEFAULT false NOT NULL,
	`price_tiers` text,
	`is_active` integer DEFAULT true NOT NULL,
	`metadata` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	FOREIGN KEY (`event_id`) REFERENCES `events`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`ticket_type_id`) REFERENCES `ticket_types`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`membership_group_id`) REFERENCES `user_groups`(`id`) ON UPDATE no action ON DELETE set null,
	CONSTRAINT "event_ticket_config_currency_check" CHECK("event_ticket_config"."currency" IN ('XOF', 'TND', 'EUR', 'USD')),
	CONSTRAINT "event_ticket_config_price_non_negative" CHECK("event_ticket_config"."price" >= 0),
	CONSTRAINT "event_ticket_config_quantities_non_negative" CHECK("event_ticket_config"."quantity_total" >= 0 AND "event_ticket_config"."quantity_sold" >= 0 AND "event_ticket_config"."quantity_reserved" >= 0 AND "event_ticket_config"."quantity_blocked" >= 0),
	CONSTRAINT "event_ticket_config_quantities_within_total" CHECK("event_ticket_config"."quantity_sold" + "event_ticket_config"."quantity_reserved" + "event_ticket_config"."quantity_blocked" <= "event_ticket_config"."quantity_total"),
	CONSTRAINT "event_ticket_config_purchase_range" CHECK("event_ticket_config"."min_purchase" >= 1 AND ("event_ticket_config"."max_purchase" IS NULL OR "event_ticket_config"."max_purchase" >= "event_ticket_config"."min_purchase")),
	CONSTRAINT "event_ticket_config_sales_window" CHECK("event_ticket_config"."sales_start" IS NULL OR "event_ticket_config"."sales_end" IS NULL OR "event_ticket_config"."sales_end" > "event_ticket_config"."sales_start")
);
--> statement-breakpoint
CREATE UNIQUE INDEX `event_ticket_config_event_type_unique` ON `event_ticket_config` (`event_id`,`ticket_type_id`);--> statement-breakpoint
CREATE INDEX `event_ticket_config_event_active_idx` ON `event_ticket_config` (`event_id`,`is_active`);--> statement-breakpoint
CREATE INDEX `event_ticket_config_ticket_type_idx` ON `event_ticket_config` (`ticket_type_id`);--> statement-breakpoint
CREATE TABLE `pricing_rule_usages` (
	`id` text PRIMARY KEY NOT NULL,
	`rule_id` text NOT NULL,
	`user_id` text,
	`ticket_id` text,
	`subscription_id` text,
	`discount_amount` integer NOT NULL,
	`currency` text NOT NULL,
	`used_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`released_at` text,
	FOREIGN KEY (`rule_id`) REFERENCES `pricing_rules`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE set null,
	FOREIGN KEY (`ticket_id`) REFERENCES `tickets`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`subscription_id`) REFERENCES `subscriptions`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "pricing_rule_usages_currency_check" CHECK("pricing_rule_usages"."currency" IN ('XOF', 'TND', 'EUR', 'USD')),
	CONSTRAINT "pricing_rule_usages_one_target" CHECK(("pricing_rule_usages"."ticket_id" IS NULL) <> ("pricing_rule_usages"."subscription_id" IS NULL)),
	CONSTRAINT "pricing_rule_usages_discount_non_negative" CHECK("pricing_rule_usages"."discount_amount" >= 0)
);
--> statement-breakpoint
CREATE UNIQUE INDEX `pricing_rule_usages_rule_ticket_unique` ON `pricing_rule_usages` (`rule_id`,`ticket_id`);--> statement-breakpoint
CREATE UNIQUE INDEX `pricing_rule_usages_rule_subscription_unique` ON `pricing_rule_usages` (`rule_id`,`subscription_id`);--> statement-breakpoint
CREATE INDEX `pricing_rule_usages_rule_user_idx` ON `pricing_rule_usages` (`rule_id`,`user_id`,`released_at`);--> statement-breakpoint
CREATE INDEX `pricing_rule_usages_ticket_idx` ON `pricing_rule_usages` (`ticket_id`);--> statement-breakpoint
CREATE INDEX `pricing_rule_usages_subscription_idx` ON `pricing_rule_usages` (`subscription_id`);--> statement-breakpoint
CREATE TABLE `pricing_rules` (
	`id` text PRIMARY KEY NOT NULL,
	`code` text NOT NULL,
	`name` text NOT NULL,
	`description` text,
	`organizer_id` text,
	`rule_type` text NOT NULL,
	`applies_to` text NOT NULL,
	`discount_type` text NOT NULL,
	`discount_value` integer NOT NULL,
	`currency` text,
	`conditions` text NOT NULL,
	`valid_from` text,
	`valid_until` text,
	`usage_limit_total` integer,
	`usage_limit_per_user` integer,
	`usage_count` integer DEFAULT 0 NOT NULL,
	`combinable` integer DEFAULT false NOT NULL,
	`priority` integer DEFAULT 0 NOT NULL,
	`promo_code` text,
	`auto_apply` integer DEFAULT false NOT NULL,
	`is_active` integer DEFAULT true NOT NULL,
	`metadata` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	FOREIGN KEY (`organizer_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE set null,
	CONSTRAINT "pricing_rules_rule_type_check" CHECK("pricing_rules"."rule_type" IN ('EARLY_BIRD', 'GROUP', 'MEMBER', 'STUDENT', 'SENIOR', 'CHILD', 'DYNAMIC', 'PROMO', 'PARTNER')),
	CONSTRAINT "pricing_rules_applies_to_check" CHECK("pricing_rules"."applies_to" IN ('TICKETS', 'SUBSCRIPTIONS', 'BOTH')),
	CONSTRAINT "pricing_rules_discount_type_check" CHECK("pricing_rules"."discount_type" IN ('PERCENTAGE', 'FIXED_AMOUNT', 'BUY_X_GET_Y', 'BUNDLE')),
	CONSTRAINT "pricing_rules_currency_check" CHECK("pricing_rules"."currency" IN ('XOF', 'TND', 'EUR', 'USD')),
	CONSTRAINT "pricing_rules_discount_value_non_negative" CHECK("pricing_rules"."discount_value" >= 0),
	CONSTRAINT "pricing_rules_discount_bp_range" CHECK("pricing_rules"."discount_type" NOT IN ('PERCENTAGE', 'BUY_X_GET_Y') OR "pricing_rules"."discount_value" <= 10000),
	CONSTRAINT "pricing_rules_amount_has_currency" CHECK("pricing_rules"."discount_type" NOT IN ('FIXED_AMOUNT', 'BUNDLE') OR "pricing_rules"."currency" IS NOT NULL),
	CONSTRAINT "pricing_rules_promo_code_upper" CHECK("pricing_rules"."promo_code" IS NULL OR "pricing_rules"."promo_code" = upper("pricing_rules"."promo_code")),
	CONSTRAINT "pricing_rules_usage_limits_positive" CHECK(("pricing_rules"."usage_limit_total" IS NULL OR "pricing_rules"."usage_limit_total" > 0) AND ("pricing_rules"."usage_limit_per_user" IS NULL OR "pricing_rules"."usage_limit_per_user" > 0)),
	CONSTRAINT "pricing_rules_usage_count_within_limit" CHECK("pricing_rules"."usage_count" >= 0 AND ("pricing_rules"."usage_limit_total" IS NULL OR "pricing_rules"."usage_count" <= "pricing_rules"."usage_limit_total")),
	CONSTRAINT "pricing_rules_validity_window" CHECK("pricing_rules"."valid_from" IS NULL OR "pricing_rules"."valid_until" IS NULL OR "pricing_rules"."valid_until" > "pricing_rules"."valid_from")
);
--> statement-breakpoint
CREATE UNIQUE INDEX `pricing_rules_code_unique` ON `pricing_rules` (`code`);--> statement-breakpoint
CREATE UNIQUE INDEX `pricing_rules_promo_code_unique` ON `pricing_rules` (`promo_code`);--> statement-breakpoint
CREATE INDEX `pricing_rules_auto_apply_idx` ON `pricing_rules` (`is_active`,`auto_apply`,`priority`);--> statement-breakpoint
CREATE INDEX `pricing_rules_type_idx` ON `pricing_rules` (`rule_type`,`is_active`);--> statement-breakpoint
CREATE INDEX `pricing_rules_organizer_idx` ON `pricing_rules` (`organizer_id`);--> statement-breakpoint
CREATE TABLE `subscription_plan_event_groups` (
	`subscription_plan_id` text NOT NULL,
	`event_group_id` text NOT NULL,
	`access_level` text DEFAULT 'FULL' NOT NULL,
	`included_match_types` text,
	`excluded_events` text,
	`metadata` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	PRIMARY KEY(`subscription_plan_id`, `event_group_id`),
	FOREIGN KEY (`subscription_plan_id`) REFERENCES `subscription_plans`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`event_group_id`) REFERENCES `event_groups`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "subscription_plan_event_groups_access_level_check" CHECK("subscription_plan_event_groups"."access_level" IN ('FULL', 'HOME_ONLY', 'PARTIAL'))
);
--> statement-breakpoint
CREATE INDEX `subscription_plan_event_groups_group_idx` ON `subscription_plan_event_groups` (`event_group_id`);--> statement-breakpoint
CREATE TABLE `subscription_plan_events` (
	`subscription_plan_id` text NOT NULL,
	`event_id` text NOT NULL,
	`access_level` text DEFAULT 'FULL' NOT NULL,
	`requires_booking` integer DEFAULT false NOT NULL,
	`booking_window_days` integer,
	`metadata` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	PRIMARY KEY(`subscription_plan_id`, `event_id`),
	FOREIGN KEY (`subscription_plan_id`) REFERENCES `subscription_plans`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`event_id`) REFERENCES `events`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "subscription_plan_events_access_level_check" CHECK("subscription_plan_events"."access_level" IN ('FULL', 'STANDARD', 'RESTRICTED')),
	CONSTRAINT "subscription_plan_events_booking_window_positive" CHECK("subscription_plan_events"."booking_window_days" IS NULL OR "subscription_plan_events"."booking_window_days" > 0)
);
--> statement-breakpoint
CREATE INDEX `subscription_plan_events_event_idx` ON `subscription_plan_events` (`event_id`);--> statement-breakpoint
CREATE TABLE `subscription_plan_zones` (
	`subscription_plan_id` text NOT NULL,
	`zone_category` text NOT NULL,
	`is_primary` integer DEFAULT true NOT NULL,
	`upgrade_allowed` integer DEFAULT false NOT NULL,
	`upgrade_fee` integer,
	`currency` text,
	`metadata` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	PRIMARY KEY(`subscription_plan_id`, `zone_category`),
	FOREIGN KEY (`subscription_plan_id`) REFERENCES `subscription_plans`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "subscription_plan_zones_zone_category_check" CHECK("subscription_plan_zones"."zone_category" IN ('VIP', 'PREMIUM', 'STANDARD', 'BASIC', 'COMPLIMENTARY', 'VISITORS', 'PRESS', 'STAFF')),
	CONSTRAINT "subscription_plan_zones_currency_check" CHECK("subscription_plan_zones"."currency" IN ('XOF', 'TND', 'EUR', 'USD')),
	CONSTRAINT "subscription_plan_zones_upgrade_fee_has_currency" CHECK("subscription_plan_zones"."upgrade_fee" IS NULL OR ("subscription_plan_zones"."upgrade_fee" >= 0 AND "subscription_plan_zones"."currency" IS NOT NULL))
);
--> statement-breakpoint
CREATE INDEX `subscription_plan_zones_category_idx` ON `subscription_plan_zones` (`zone_category`);--> statement-breakpoint
CREATE TABLE `subscription_plans` (
	`id` text PRIMARY KEY NOT NULL,
	`code` text NOT NULL,
	`name` text NOT NULL,
	`description` text,
	`organizer_id` text,
	`type` text NOT NULL,
	`price` integer NOT NULL,
	`currency` text NOT NULL,
	`duration_months` integer,
	`max_subscribers` integer,
	`current_subscribers` integer DEFAULT 0 NOT NULL,
	`default_zone_category` text,
	`benefits` text,
	`restrictions` text,
	`sales_start` text,
	`sales_end` text,
	`renewal_priority_days` integer DEFAULT 30 NOT NULL,
	`is_renewable` integer DEFAULT true NOT NULL,
	`is_transferable` integer DEFAULT true NOT NULL,
	`is_active` integer DEFAULT true NOT NULL,
	`metadata` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	FOREIGN KEY (`organizer_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE set null,
	CONSTRAINT "subscription_plans_type_check" CHECK("subscription_plans"."type" IN ('FULL_SEASON', 'HALF_SEASON', 'PACKAGE', 'FLEX', 'MINI', 'VIP_ANNUAL')),
	CONSTRAINT "subscription_plans_currency_check" CHECK("subscription_plans"."currency" IN ('XOF', 'TND', 'EUR', 'USD')),
	CONSTRAINT "subscription_plans_default_zone_category_check" CHECK("subscription_plans"."default_zone_category" IN ('VIP', 'PREMIUM', 'STANDARD', 'BASIC', 'COMPLIMENTARY', 'VISITORS', 'PRESS', 'STAFF')),
	CONSTRAINT "subscription_plans_price_non_negative" CHECK("subscription_plans"."price" >= 0),
	CONSTRAINT "subscription_plans_duration_positive" CHECK("subscription_plans"."duration_months" IS NULL OR "subscription_plans"."duration_months" > 0),
	CONSTRAINT "subscription_plans_subscribers_within_limit" CHECK("subscription_plans"."current_subscribers" >= 0 AND ("subscription_plans"."max_subscribers" IS NULL OR ("subscription_plans"."max_subscribers" > 0 AND "subscription_plans"."current_subscribers" <= "subscription_plans"."max_subscribers"))),
	CONSTRAINT "subscription_plans_renewal_priority_days_non_negative" CHECK("subscription_plans"."renewal_priority_days" >= 0),
	CONSTRAINT "subscription_plans_sales_window" CHECK("subscription_plans"."sales_start" IS NULL OR "subscription_plans"."sales_end" IS NULL OR "subscription_plans"."sales_end" > "subscription_plans"."sales_start")
);
--> statement-breakpoint
CREATE UNIQUE INDEX `subscription_plans_code_unique` ON `subscription_plans` (`code`);--> statement-breakpoint
CREATE INDEX `subscription_plans_active_idx` ON `subscription_plans` (`is_active`,`sales_start`);--> statement-breakpoint
CREATE INDEX `subscription_plans_organizer_idx` ON `subscription_plans` (`organizer_id`);--> statement-breakpoint
CREATE TABLE `ticket_templates` (
	`id` text PRIMARY KEY NOT NULL,
	`code` text NOT NULL,
	`name` text NOT NULL,
	`description` text,
	`type` text NOT NULL,
	`category` text,
	`format` text NOT NULL,
	`paper_size` text,
	`orientation` text DEFAULT 'PORTRAIT' NOT NULL,
	`design_url` text,
	`css_url` text,
	`elements` text NOT NULL,
	`layout` text NOT NULL,
	`languages` text DEFAULT '["fr"]' NOT NULL,
	`is_default` integer DEFAULT false NOT NULL,
	`requires_printer` text,
	`version` text NOT NULL,
	`is_active` integer DEFAULT true NOT NULL,
	`metadata` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	CONSTRAINT "ticket_templates_type_check" CHECK("ticket_templates"."type" IN ('TICKET', 'SUBSCRIPTION_CARD', 'VIP_PASS')),
	CONSTRAINT "ticket_templates_format_check" CHECK("ticket_templates"."format" IN ('PDF', 'THERMAL', 'MOBILE', 'PLASTIC_CARD')),
	CONSTRAINT "ticket_templates_orientation_check" CHECK("ticket_templates"."orientation" IN ('PORTRAIT', 'LANDSCAPE'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `ticket_templates_code_unique` ON `ticket_templates` (`code`);--> statement-breakpoint
CREATE UNIQUE INDEX `ticket_templates_default_unique` ON `ticket_templates` (`type`,`format`) WHERE "ticket_templates"."is_default" = 1;--> statement-breakpoint
CREATE INDEX `ticket_templates_type_idx` ON `ticket_templates` (`type`,`is_active`);--> statement-breakpoint
CREATE TABLE `ticket_type_zones` (
	`ticket_type_id` text NOT NULL,
	`zone_category` text NOT NULL,
	`is_primary` integer DEFAULT true NOT NULL,
	`access_type` text DEFAULT 'FULL' NOT NULL,
	`conditions` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	PRIMARY KEY(`ticket_type_id`, `zone_category`),
	FOREIGN KEY (`ticket_type_id`) REFERENCES `ticket_types`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "ticket_type_zones_zone_category_check" CHECK("ticket_type_zones"."zone_category" IN ('VIP', 'PREMIUM', 'STANDARD', 'BASIC', 'COMPLIMENTARY', 'VISITORS', 'PRESS', 'STAFF')),
	CONSTRAINT "ticket_type_zones_access_type_check" CHECK("ticket_type_zones"."access_type" IN ('FULL', 'LIMITED', 'CONDITIONAL'))
);
--> statement-breakpoint
CREATE INDEX `ticket_type_zones_category_idx` ON `ticket_type_zones` (`zone_category`);--> statement-breakpoint
CREATE TABLE `ticket_types` (
	`id` text PRIMARY KEY NOT NULL,
	`code` text NOT NULL,
	`name` text NOT NULL,
	`description` text,
	`organizer_id` text,
	`base_price` integer NOT NULL,
	`min_price` integer,
	`max_price` integer,
	`currency` text NOT NULL,
	`default_zone_category` text NOT NULL,
	`capacity_percentage_bp` integer,
	`max_per_transaction` integer DEFAULT 4 NOT NULL,
	`min_per_transaction` integer DEFAULT 1 NOT NULL,
	`advance_booking_days` integer,
	`cancellation_allowed` integer DEFAULT false NOT NULL,
	`transfer_allowed` integer DEFAULT true NOT NULL,
	`restrictions` text,
	`benefits` text,
	`display_order` integer DEFAULT 0 NOT NULL,
	`is_active` integer DEFAULT true NOT NULL,
	`metadata` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	FOREIGN KEY (`organizer_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE set null,
	CONSTRAINT "ticket_types_currency_check" CHECK("ticket_types"."currency" IN ('XOF', 'TND', 'EUR', 'USD')),
	CONSTRAINT "ticket_types_default_zone_category_check" CHECK("ticket_types"."default_zone_category" IN ('VIP', 'PREMIUM', 'STANDARD', 'BASIC', 'COMPLIMENTARY', 'VISITORS', 'PRESS', 'STAFF')),
	CONSTRAINT "ticket_types_prices_non_negative" CHECK("ticket_types"."base_price" >= 0 AND ("ticket_types"."min_price" IS NULL OR "ticket_types"."min_price" >= 0) AND ("ticket_types"."max_price" IS NULL OR "ticket_types"."max_price" >= 0)),
	CONSTRAINT "ticket_types_min_price_le_base" CHECK("ticket_types"."min_price" IS NULL OR "ticket_types"."min_price" <= "ticket_types"."base_price"),
	CONSTRAINT "ticket_types_max_price_ge_base" CHECK("ticket_types"."max_price" IS NULL OR "ticket_types"."max_price" >= "ticket_types"."base_price"),
	CONSTRAINT "ticket_types_capacity_percentage_bp_range" CHECK("ticket_types"."capacity_percentage_bp" IS NULL OR "ticket_types"."capacity_percentage_bp" BETWEEN 0 AND 10000),
	CONSTRAINT "ticket_types_per_transaction_range" CHECK("ticket_types"."min_per_transaction" >= 1 AND "ticket_types"."max_per_transaction" >= "ticket_types"."min_per_transaction"),
	CONSTRAINT "ticket_types_advance_booking_days_non_negative" CHECK("ticket_types"."advance_booking_days" IS NULL OR "ticket_types"."advance_booking_days" >= 0)
);
--> statement-breakpoint
CREATE UNIQUE INDEX `ticket_types_code_unique` ON `ticket_types` (`code`);--> statement-breakpoint
CREATE INDEX `ticket_types_organizer_idx` ON `ticket_types` (`organizer_id`,`is_active`);--> statement-breakpoint
CREATE INDEX `ticket_types_active_order_idx` ON `ticket_types` (`is_active`,`display_order`);--> statement-breakpoint
CREATE TABLE `tickets` (
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
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE set null,
	FOREIGN KEY (`event_id`) REFERENCES `events`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`ticket_type_id`) REFERENCES `ticket_types`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`event_ticket_config_id`) REFERENCES `event_ticket_config`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`pricing_rule_id`) REFERENCES `pricing_rules`(`id`) ON UPDATE no action ON DELETE set null,
	FOREIGN KEY (`payment_id`) REFERENCES `payments`(`id`) ON UPDATE no action ON DELETE set null,
	CONSTRAINT "tickets_currency_check" CHECK("tickets"."currency" IN ('XOF', 'TND', 'EUR', 'USD')),
	CONSTRAINT "tickets_payment_status_check" CHECK("tickets"."payment_status" IN ('PENDING', 'PROCESSING', 'PAID', 'FAILED', 'REFUNDED', 'PARTIALLY_REFUNDED', 'CANCELLED')),
	CONSTRAINT "tickets_booking_status_check" CHECK("tickets"."booking_status" IN ('PENDING', 'CONFIRMED', 'CANCELLED', 'EXPIRED', 'COMPLETED')),
	CONSTRAINT "tickets_purchase_channel_check" CHECK("tickets"."purchase_channel" IN ('WEB', 'MOBILE', 'ONSITE', 'PARTNER')),
	CONSTRAINT "tickets_quantity_positive" CHECK("tickets"."quantity" > 0),
	CONSTRAINT "tickets_amounts_non_negative" CHECK("tickets"."unit_price" >= 0 AND "tickets"."total_price" >= 0 AND "tickets"."discount_amount" >= 0),
	CONSTRAINT "tickets_buyer_known" CHECK("tickets"."user_id" IS NOT NULL OR ("tickets"."is_guest_purchase" = 1 AND ("tickets"."guest_email" IS NOT NULL OR "tickets"."guest_phone" IS NOT NULL))),
	CONSTRAINT "tickets_pending_hold_expires" CHECK("tickets"."booking_status" <> 'PENDING' OR "tickets"."booking_expires_at" IS NOT NULL)
);
--> statement-breakpoint
CREATE UNIQUE INDEX `tickets_ticket_number_unique` ON `tickets` (`ticket_number`);--> statement-breakpoint
CREATE INDEX `tickets_user_idx` ON `tickets` (`user_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `tickets_event_status_idx` ON `tickets` (`event_id`,`booking_status`);--> statement-breakpoint
CREATE INDEX `tickets_hold_expiry_idx` ON `tickets` (`booking_status`,`booking_expires_at`);--> statement-breakpoint
CREATE INDEX `tickets_payment_idx` ON `tickets` (`payment_id`);--> statement-breakpoint
CREATE INDEX `tickets_config_idx` ON `tickets` (`event_ticket_config_id`);--> statement-breakpoint
CREATE INDEX `tickets_guest_email_idx` ON `tickets` (`guest_email`);--> statement-breakpoint
CREATE TABLE `access_control_log` (
	`id` text PRIMARY KEY NOT NULL,
	`access_right_id` text,
	`event_id` text NOT NULL,
	`user_id` text,
	`access_point_id` text NOT NULL,
	`zone_id` text,
	`qr_code_scanned` text NOT NULL,
	`action` text NOT NULL,
	`status` text NOT NULL,
	`denial_reason` text,
	`controller_id` text NOT NULL,
	`device_id` text NOT NULL,
	`scan_method` text NOT NULL,
	`response_time_ms` integer,
	`location` text,
	`weather_conditions` text,
	`queue_size` integer,
	`nonce` text NOT NULL,
	`was_offline` integer DEFAULT false NOT NULL,
	`is_conflict` integer DEFAULT false NOT NULL,
	`metadata` text,
	`timestamp` text NOT NULL,
	`received_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	FOREIGN KEY (`access_right_id`) REFERENCES `access_rights`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`event_id`) REFERENCES `events`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`access_point_id`) REFERENCES `access_points`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`zone_id`) REFERENCES `venue_zones`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`controller_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "access_control_log_action_check" CHECK("access_control_log"."action" IN ('ENTRY', 'EXIT', 'RE_ENTRY', 'CHECK')),
	CONSTRAINT "access_control_log_status_check" CHECK("access_control_log"."status" IN ('SUCCESS', 'DENIED', 'ERROR', 'WARNING')),
	CONSTRAINT "access_control_log_denial_reason_check" CHECK("access_control_log"."denial_reason" IN ('INVALID_QR', 'ALREADY_USED', 'WRONG_EVENT', 'WRONG_DATE', 'WRONG_ZONE', 'EXPIRED', 'NOT_YET_VALID', 'BLACKLISTED', 'CANCELLED', 'CAPACITY_FULL', 'AGE_RESTRICTION', 'TECHNICAL_ERROR')),
	CONSTRAINT "access_control_log_scan_method_check" CHECK("access_control_log"."scan_method" IN ('QR_SCANNER', 'MANUAL_ENTRY', 'NFC')),
	CONSTRAINT "access_control_log_denied_has_reason" CHECK("access_control_log"."status" <> 'DENIED' OR "access_control_log"."denial_reason" IS NOT NULL),
	CONSTRAINT "access_control_log_success_has_no_reason" CHECK("access_control_log"."status" <> 'SUCCESS' OR "access_control_log"."denial_reason" IS NULL),
	CONSTRAINT "access_control_log_response_time_non_negative" CHECK("access_control_log"."response_time_ms" IS NULL OR "access_control_log"."response_time_ms" >= 0),
	CONSTRAINT "access_control_log_queue_size_non_negative" CHECK("access_control_log"."queue_size" IS NULL OR "access_control_log"."queue_size" >= 0)
);
--> statement-breakpoint
CREATE UNIQUE INDEX `access_control_log_event_nonce_unique` ON `access_control_log` (`event_id`,`nonce`);--> statement-breakpoint
CREATE INDEX `access_control_log_event_time_idx` ON `access_control_log` (`event_id`,`timestamp`);--> statement-breakpoint
CREATE INDEX `access_control_log_event_status_idx` ON `access_control_log` (`event_id`,`status`,`timestamp`);--> statement-breakpoint
CREATE INDEX `access_control_log_right_idx` ON `access_control_log` (`access_right_id`,`timestamp`);--> statement-breakpoint
CREATE INDEX `access_control_log_access_point_idx` ON `access_control_log` (`access_point_id`,`timestamp`);--> statement-breakpoint
CREATE INDEX `access_control_log_controller_idx` ON `access_control_log` (`controller_id`,`timestamp`);--> statement-breakpoint
CREATE INDEX `access_control_log_conflict_idx` ON `access_control_log` (`event_id`,`is_conflict`);--> statement-breakpoint
CREATE TABLE `access_rights` (
	`id` text PRIMARY KEY NOT NULL,
	`qr_code` text NOT NULL,
	`user_id` text NOT NULL,
	`event_id` text NOT NULL,
	`zone_id` text,
	`seat_id` text,
	`status` text DEFAULT 'ENABLED' NOT NULL,
	`source_type` text NOT NULL,
	`source_id` text NOT NULL,
	`original_user_id` text,
	`transfer_count` integer DEFAULT 0 NOT NULL,
	`last_transfer_date` text,
	`valid_from` text NOT NULL,
	`valid_until` text NOT NULL,
	`used_at` text,
	`used_at_access_point` text,
	`used_by` text,
	`validation_notes` text,
	`is_inside` integer DEFAULT false NOT NULL,
	`entry_count` integer DEFAULT 0 NOT NULL,
	`last_exit_at` text,
	`metadata` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`created_by` text,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`event_id`) REFERENCES `events`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`zone_id`) REFERENCES `venue_zones`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`seat_id`) REFERENCES `seats`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`original_user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`used_at_access_point`) REFERENCES `access_points`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`used_by`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`created_by`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "access_rights_status_check" CHECK("access_rights"."status" IN ('ENABLED', 'USED', 'TRANSFERRED', 'CANCELLED', 'EXPIRED', 'BLOCKED')),
	CONSTRAINT "access_rights_source_type_check" CHECK("access_rights"."source_type" IN ('TICKET', 'SUBSCRIPTION', 'TRANSFER', 'COMP', 'STAFF', 'MEDIA', 'PARTNER')),
	CONSTRAINT "access_rights_validity_window" CHECK("access_rights"."valid_until" > "access_rights"."valid_from"),
	CONSTRAINT "access_rights_counters_non_negative" CHECK("access_rights"."transfer_count" >= 0 AND "access_rights"."entry_count" >= 0),
	CONSTRAINT "access_rights_inside_has_entered" CHECK("access_rights"."is_inside" = 0 OR "access_rights"."entry_count" > 0)
);
--> statement-breakpoint
CREATE UNIQUE INDEX `access_rights_qr_code_unique` ON `access_rights` (`qr_code`);--> statement-breakpoint
CREATE UNIQUE INDEX `access_rights_event_seat_unique` ON `access_rights` (`event_id`,`seat_id`) WHERE "access_rights"."seat_id" IS NOT NULL AND "access_rights"."status" IN ('ENABLED', 'USED', 'BLOCKED');--> statement-breakpoint
CREATE INDEX `access_rights_event_status_idx` ON `access_rights` (`event_id`,`status`);--> statement-breakpoint
CREATE INDEX `access_rights_user_idx` ON `access_rights` (`user_id`,`valid_from`);--> statement-breakpoint
CREATE INDEX `access_rights_source_idx` ON `access_rights` (`source_type`,`source_id`);--> statement-breakpoint
CREATE INDEX `access_rights_event_zone_idx` ON `access_rights` (`event_id`,`zone_id`);--> statement-breakpoint
CREATE INDEX `access_rights_event_updated_idx` ON `access_rights` (`event_id`,`updated_at`);--> statement-breakpoint
CREATE TABLE `access_transactions_log` (
	`id` text PRIMARY KEY NOT NULL,
	`access_right_id` text NOT NULL,
	`transaction_type` text NOT NULL,
	`from_user_id` text,
	`to_user_id` text,
	`event_id` text NOT NULL,
	`transfer_id` text,
	`price` integer,
	`currency` text,
	`reason` text,
	`ip_address` text,
	`user_agent` text,
	`device_id` text,
	`location` text,
	`status` text NOT NULL,
	`error_message` text,
	`metadata` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`created_by` text,
	FOREIGN KEY (`access_right_id`) REFERENCES `access_rights`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`from_user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`to_user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`event_id`) REFERENCES `events`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`transfer_id`) REFERENCES `transfers`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`created_by`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "access_transactions_log_transaction_type_check" CHECK("access_transactions_log"."transaction_type" IN ('CREATE', 'TRANSFER_SALE', 'TRANSFER_DONATION', 'TRANSFER_LOAN', 'TRANSFER_EXCHANGE', 'CANCEL', 'RESTORE', 'MODIFY', 'BLOCK', 'UNBLOCK')),
	CONSTRAINT "access_transactions_log_currency_check" CHECK("access_transactions_log"."currency" IN ('XOF', 'TND', 'EUR', 'USD')),
	CONSTRAINT "access_transactions_log_status_check" CHECK("access_transactions_log"."status" IN ('SUCCESS', 'FAILED', 'PENDING')),
	CONSTRAINT "access_transactions_log_price_has_currency" CHECK("access_transactions_log"."price" IS NULL OR "access_transactions_log"."currency" IS NOT NULL)
);
--> statement-breakpoint
CREATE INDEX `access_transactions_log_right_idx` ON `access_transactions_log` (`access_right_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `access_transactions_log_event_idx` ON `access_transactions_log` (`event_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `access_transactions_log_from_user_idx` ON `access_transactions_log` (`from_user_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `access_transactions_log_to_user_idx` ON `access_transactions_log` (`to_user_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `access_transactions_log_type_idx` ON `access_transactions_log` (`transaction_type`,`created_at`);--> statement-breakpoint
CREATE TABLE `blacklist` (
	`id` text PRIMARY KEY NOT NULL,
	`blacklist_type` text NOT NULL,
	`identifier` text NOT NULL,
	`reason` text NOT NULL,
	`severity` text NOT NULL,
	`scope` text NOT NULL,
	`scope_id` text,
	`start_date` text NOT NULL,
	`end_date` text,
	`is_permanent` integer DEFAULT false NOT NULL,
	`reported_by` text,
	`approved_by` text,
	`evidence` text,
	`appeal_status` text DEFAULT 'NONE' NOT NULL,
	`is_active` integer DEFAULT true NOT NULL,
	`metadata` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	FOREIGN KEY (`reported_by`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`approved_by`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "blacklist_blacklist_type_check" CHECK("blacklist"."blacklist_type" IN ('USER', 'QR_CODE', 'DEVICE', 'IP', 'EMAIL', 'PHONE', 'CREDIT_CARD')),
	CONSTRAINT "blacklist_severity_check" CHECK("blacklist"."severity" IN ('LOW', 'MEDIUM', 'HIGH', 'CRITICAL')),
	CONSTRAINT "blacklist_scope_check" CHECK("blacklist"."scope" IN ('EVENT', 'VENUE', 'CLUB', 'GLOBAL')),
	CONSTRAINT "blacklist_appeal_status_check" CHECK("blacklist"."appeal_status" IN ('NONE', 'PENDING', 'REJECTED', 'ACCEPTED')),
	CONSTRAINT "blacklist_scope_id_matches_scope" CHECK(("blacklist"."scope" = 'GLOBAL') = ("blacklist"."scope_id" IS NULL)),
	CONSTRAINT "blacklist_permanent_has_no_end" CHECK("blacklist"."is_permanent" = 0 OR "blacklist"."end_date" IS NULL),
	CONSTRAINT "blacklist_end_after_start" CHECK("blacklist"."end_date" IS NULL OR "blacklist"."end_date" > "blacklist"."start_date")
);
--> statement-breakpoint
CREATE INDEX `blacklist_identifier_idx` ON `blacklist` (`blacklist_type`,`identifier`,`is_active`);--> statement-breakpoint
CREATE INDEX `blacklist_scope_idx` ON `blacklist` (`scope`,`scope_id`,`is_active`);--> statement-breakpoint
CREATE INDEX `blacklist_appeal_idx` ON `blacklist` (`appeal_status`);--> statement-breakpoint
CREATE TABLE `event_signing_keys` (
	`id` text PRIMARY KEY NOT NULL,
	`event_id` text NOT NULL,
	`kid` text NOT NULL,
	`public_jwk` text NOT NULL,
	`private_jwk_encrypted` text NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`retired_at` text,
	FOREIGN KEY (`event_id`) REFERENCES `events`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `event_signing_keys_kid_unique` ON `event_signing_keys` (`kid`);--> statement-breakpoint
CREATE INDEX `event_signing_keys_event_idx` ON `event_signing_keys` (`event_id`,`retired_at`);--> statement-breakpoint
CREATE TABLE `transfers` (
	`id` text PRIMARY KEY NOT NULL,
	`access_right_id` text NOT NULL,
	`new_access_right_id` text,
	`exchange_access_right_id` text,
	`event_id` text NOT NULL,
	`transfer_type` text NOT NULL,
	`status` text DEFAULT 'PENDING' NOT NULL,
	`from_user_id` text NOT NULL,
	`to_user_id` text,
	`recipient_email` text,
	`recipient_phone` text,
	`price` integer,
	`currency` text,
	`payment_id` text,
	`loan_return_at` text,
	`returned_at` text,
	`message` text,
	`reason` text,
	`token_hash` text,
	`expires_at` text,
	`completed_at` text,
	`metadata` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	FOREIGN KEY (`access_right_id`) REFERENCES `access_rights`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`new_access_right_id`) REFERENCES `access_rights`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`exchange_access_right_id`) REFERENCES `access_rights`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`event_id`) REFERENCES `events`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`from_user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`to_user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`payment_id`) REFERENCES `payments`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "transfers_transfer_type_check" CHECK("transfers"."transfer_type" IN ('TRANSFER_SALE', 'TRANSFER_DONATION', 'TRANSFER_LOAN', 'TRANSFER_EXCHANGE')),
	CONSTRAINT "transfers_status_check" CHECK("transfers"."status" IN ('PENDING', 'COMPLETED', 'DECLINED', 'CANCELLED', 'EXPIRED', 'RETURNED')),
	CONSTRAINT "transfers_currency_check" CHECK("transfers"."currency" IN ('XOF', 'TND', 'EUR', 'USD')),
	CONSTRAINT "transfers_not_to_self" CHECK("transfers"."to_user_id" IS NULL OR "transfers"."to_user_id" <> "transfers"."from_user_id"),
	CONSTRAINT "transfers_recipient_known" CHECK("transfers"."to_user_id" IS NOT NULL OR "transfers"."recipient_email" IS NOT NULL OR "transfers"."recipient_phone" IS NOT NULL),
	CONSTRAINT "transfers_sale_has_price" CHECK("transfers"."transfer_type" <> 'TRANSFER_SALE' OR ("transfers"."price" IS NOT NULL AND "transfers"."price" >= 0 AND "transfers"."currency" IS NOT NULL)),
	CONSTRAINT "transfers_price_has_currency" CHECK("transfers"."price" IS NULL OR "transfers"."currency" IS NOT NULL),
	CONSTRAINT "transfers_loan_has_return" CHECK("transfers"."transfer_type" <> 'TRANSFER_LOAN' OR "transfers"."loan_return_at" IS NOT NULL),
	CONSTRAINT "transfers_completed_has_new_right" CHECK("transfers"."status" NOT IN ('COMPLETED', 'RETURNED') OR "transfers"."new_access_right_id" IS NOT NULL)
);
--> statement-breakpoint
CREATE UNIQUE INDEX `transfers_pending_right_unique` ON `transfers` (`access_right_id`) WHERE "transfers"."status" = 'PENDING';--> statement-breakpoint
CREATE UNIQUE INDEX `transfers_token_hash_unique` ON `transfers` (`token_hash`);--> statement-breakpoint
CREATE INDEX `transfers_right_idx` ON `transfers` (`access_right_id`,`status`);--> statement-breakpoint
CREATE INDEX `transfers_from_user_idx` ON `transfers` (`from_user_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `transfers_to_user_idx` ON `transfers` (`to_user_id`,`status`);--> statement-breakpoint
CREATE INDEX `transfers_recipient_email_idx` ON `transfers` (`recipient_email`,`status`);--> statement-breakpoint
CREATE INDEX `transfers_expiry_idx` ON `transfers` (`status`,`expires_at`);--> statement-breakpoint
CREATE INDEX `transfers_loan_return_idx` ON `transfers` (`transfer_type`,`status`,`loan_return_at`);--> statement-breakpoint
CREATE TABLE `zone_mapping_overrides` (
	`id` text PRIMARY KEY NOT NULL,
	`event_id` text NOT NULL,
	`user_group_id` text,
	`subscription_id` text,
	`ticket_id` text,
	`access_right_id` text,
	`original_zone_id` text NOT NULL,
	`override_zone_id` text NOT NULL,
	`reason` text NOT NULL,
	`valid_from` text,
	`valid_until` text,
	`capacity_impact` integer,
	`requires_notification` integer DEFAULT true NOT NULL,
	`notification_sent` integer DEFAULT false NOT NULL,
	`approved_by` text,
	`is_active` integer DEFAULT true NOT NULL,
	`metadata` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`created_by` text,
	FOREIGN KEY (`event_id`) REFERENCES `events`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`user_group_id`) REFERENCES `user_groups`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`subscription_id`) REFERENCES `subscriptions`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`ticket_id`) REFERENCES `tickets`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`access_right_id`) REFERENCES `access_rights`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`original_zone_id`) REFERENCES `venue_zones`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`override_zone_id`) REFERENCES `venue_zones`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`approved_by`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`created_by`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "zone_mapping_overrides_zones_differ" CHECK("zone_mapping_overrides"."original_zone_id" <> "zone_mapping_overrides"."override_zone_id"),
	CONSTRAINT "zone_mapping_overrides_at_most_one_target" CHECK(("zone_mapping_overrides"."user_group_id" IS NOT NULL) + ("zone_mapping_overrides"."subscription_id" IS NOT NULL) + ("zone_mapping_overrides"."ticket_id" IS NOT NULL) + ("zone_mapping_overrides"."access_right_id" IS NOT NULL) <= 1),
	CONSTRAINT "zone_mapping_overrides_validity_window" CHECK("zone_mapping_overrides"."valid_from" IS NULL OR "zone_mapping_overrides"."valid_until" IS NULL OR "zone_mapping_overrides"."valid_until" > "zone_mapping_overrides"."valid_from")
);
--> statement-breakpoint
CREATE INDEX `zone_mapping_overrides_event_idx` ON `zone_mapping_overrides` (`event_id`,`is_active`);--> statement-breakpoint
CREATE INDEX `zone_mapping_overrides_right_idx` ON `zone_mapping_overrides` (`access_right_id`);--> statement-breakpoint
CREATE INDEX `zone_mapping_overrides_ticket_idx` ON `zone_mapping_overrides` (`ticket_id`);--> statement-breakpoint
CREATE INDEX `zone_mapping_overrides_subscription_idx` ON `zone_mapping_overrides` (`subscription_id`);--> statement-breakpoint
CREATE INDEX `zone_mapping_overrides_group_idx` ON `zone_mapping_overrides` (`user_group_id`);--> statement-breakpoint
CREATE INDEX `zone_mapping_overrides_pending_notification_idx` ON `zone_mapping_overrides` (`requires_notification`,`notification_sent`);--> statement-breakpoint
CREATE TABLE `subscription_bookings` (
	`id` text PRIMARY KEY NOT NULL,
	`subscription_id` text NOT NULL,
	`event_id` text NOT NULL,
	`access_right_id` text,
	`status` text DEFAULT 'BOOKED' NOT NULL,
	`zone_category` text,
	`upgrade_fee` integer,
	`currency` text,
	`booked_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`cancelled_at` text,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	FOREIGN KEY (`subscription_id`) REFERENCES `subscriptions`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`event_id`) REFERENCES `events`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`access_right_id`) REFERENCES `access_rights`(`id`) ON UPDATE no action ON DELETE set null,
	CONSTRAINT "subscription_bookings_status_check" CHECK("subscription_bookings"."status" IN ('BOOKED', 'USED', 'CANCELLED', 'MISSED')),
	CONSTRAINT "subscription_bookings_zone_category_check" CHECK("subscription_bookings"."zone_category" IN ('VIP', 'PREMIUM', 'STANDARD', 'BASIC', 'COMPLIMENTARY', 'VISITORS', 'PRESS', 'STAFF')),
	CONSTRAINT "subscription_bookings_currency_check" CHECK("subscription_bookings"."currency" IN ('XOF', 'TND', 'EUR', 'USD')),
	CONSTRAINT "subscription_bookings_upgrade_fee_has_currency" CHECK("subscription_bookings"."upgrade_fee" IS NULL OR ("subscription_bookings"."upgrade_fee" >= 0 AND "subscription_bookings"."currency" IS NOT NULL))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `subscription_bookings_live_unique` ON `subscription_bookings` (`subscription_id`,`event_id`) WHERE "subscription_bookings"."status" <> 'CANCELLED';--> statement-breakpoint
CREATE INDEX `subscription_bookings_subscription_idx` ON `subscription_bookings` (`subscription_id`,`status`);--> statement-breakpoint
CREATE INDEX `subscription_bookings_event_idx` ON `subscription_bookings` (`event_id`,`status`);--> statement-breakpoint
CREATE INDEX `subscription_bookings_right_idx` ON `subscription_bookings` (`access_right_id`);--> statement-breakpoint
CREATE TABLE `subscriptions` (
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
	FOREIGN KEY (`payment_id`) REFERENCES `payments`(`id`) ON UPDATE no action ON DELETE set null,
	FOREIGN KEY (`created_by`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "subscriptions_currency_check" CHECK("subscriptions"."currency" IN ('XOF', 'TND', 'EUR', 'USD')),
	CONSTRAINT "subscriptions_status_check" CHECK("subscriptions"."status" IN ('PENDING', 'ACTIVE', 'SUSPENDED', 'EXPIRED', 'CANCELLED', 'TRANSFERRED')),
	CONSTRAINT "subscriptions_price_paid_non_negative" CHECK("subscriptions"."price_paid" >= 0),
	CONSTRAINT "subscriptions_valid_from_date" CHECK("subscriptions"."valid_from" GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
	CONSTRAINT "subscriptions_valid_until_date" CHECK("subscriptions"."valid_until" GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
	CONSTRAINT "subscriptions_renewal_date_date" CHECK("subscriptions"."renewal_date" IS NULL OR "subscriptions"."renewal_date" GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
	CONSTRAINT "subscriptions_validity_ordered" CHECK("subscriptions"."valid_until" >= "subscriptions"."valid_from"),
	CONSTRAINT "subscriptions_transfers_used_non_negative" CHECK("subscriptions"."transfers_used" >= 0)
);
--> statement-breakpoint
CREATE UNIQUE INDEX `subscriptions_number_unique` ON `subscriptions` (`subscription_number`);--> statement-breakpoint
CREATE UNIQUE INDEX `subscriptions_plan_seat_unique` ON `subscriptions` (`subscription_plan_id`,`seat_id`) WHERE "subscriptions"."seat_id" IS NOT NULL AND "subscriptions"."status" IN ('PENDING', 'ACTIVE', 'SUSPENDED');--> statement-breakpoint
CREATE INDEX `subscriptions_user_idx` ON `subscriptions` (`user_id`,`status`);--> statement-breakpoint
CREATE INDEX `subscriptions_plan_idx` ON `subscriptions` (`subscription_plan_id`,`status`);--> statement-breakpoint
CREATE INDEX `subscriptions_expiry_idx` ON `subscriptions` (`status`,`valid_until`);--> statement-breakpoint
CREATE INDEX `subscriptions_renewal_idx` ON `subscriptions` (`auto_renew`,`renewal_date`);--> statement-breakpoint
CREATE INDEX `subscriptions_payment_idx` ON `subscriptions` (`payment_id`);--> statement-breakpoint
CREATE INDEX `subscriptions_seat_idx` ON `subscriptions` (`seat_id`);--> statement-breakpoint
CREATE TABLE `commissions` (
	`id` text PRIMARY KEY NOT NULL,
	`payment_id` text NOT NULL,
	`commission_type` text NOT NULL,
	`base_amount` integer NOT NULL,
	`commission_rate_bp` integer NOT NULL,
	`commission_amount` integer NOT NULL,
	`currency` text NOT NULL,
	`status` text DEFAULT 'PENDING' NOT NULL,
	`event_id` text,
	`organizer_id` text NOT NULL,
	`settlement_payment_id` text,
	`calculated_at` text,
	`paid_at` text,
	`notes` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	FOREIGN KEY (`payment_id`) REFERENCES `payments`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`event_id`) REFERENCES `events`(`id`) ON UPDATE no action ON DELETE set null,
	FOREIGN KEY (`organizer_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`settlement_payment_id`) REFERENCES `payments`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "commissions_commission_type_check" CHECK("commissions"."commission_type" IN ('TICKETING', 'SUBSCRIPTION', 'SERVICE')),
	CONSTRAINT "commissions_currency_check" CHECK("commissions"."currency" IN ('XOF', 'TND', 'EUR', 'USD')),
	CONSTRAINT "commissions_status_check" CHECK("commissions"."status" IN ('PENDING', 'CALCULATED', 'PAID', 'CANCELLED')),
	CONSTRAINT "commissions_amounts_non_negative" CHECK("commissions"."base_amount" >= 0 AND "commissions"."commission_amount" >= 0),
	CONSTRAINT "commissions_rate_bp_range" CHECK("commissions"."commission_rate_bp" BETWEEN 0 AND 10000),
	CONSTRAINT "commissions_amount_within_base" CHECK("commissions"."commission_amount" <= "commissions"."base_amount")
);
--> statement-breakpoint
CREATE UNIQUE INDEX `commissions_payment_type_unique` ON `commissions` (`payment_id`,`commission_type`);--> statement-breakpoint
CREATE INDEX `commissions_organizer_idx` ON `commissions` (`organizer_id`,`status`,`created_at`);--> statement-breakpoint
CREATE INDEX `commissions_event_idx` ON `commissions` (`event_id`);--> statement-breakpoint
CREATE INDEX `commissions_status_idx` ON `commissions` (`status`,`created_at`);--> statement-breakpoint
CREATE TABLE `momo_transactions` (
	`id` text PRIMARY KEY NOT NULL,
	`payment_id` text NOT NULL,
	`operator` text NOT NULL,
	`phone_number` text NOT NULL,
	`transaction_type` text NOT NULL,
	`operator_transaction_id` text,
	`operator_reference` text,
	`status` text DEFAULT 'PENDING' NOT NULL,
	`response_code` text,
	`response_message` text,
	`initiated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`confirmed_at` text,
	`webhook_received` integer DEFAULT false NOT NULL,
	`webhook_data` text,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	FOREIGN KEY (`payment_id`) REFERENCES `payments`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "momo_transactions_operator_check" CHECK("momo_transactions"."operator" IN ('MTN', 'MOOV')),
	CONSTRAINT "momo_transactions_transaction_type_check" CHECK("momo_transactions"."transaction_type" IN ('PAYMENT', 'REFUND', 'TRANSFER')),
	CONSTRAINT "momo_transactions_status_check" CHECK("momo_transactions"."status" IN ('PENDING', 'SUCCESSFUL', 'FAILED'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `momo_transactions_payment_unique` ON `momo_transactions` (`payment_id`);--> statement-breakpoint
CREATE UNIQUE INDEX `momo_transactions_operator_transaction_unique` ON `momo_transactions` (`operator`,`operator_transaction_id`);--> statement-breakpoint
CREATE INDEX `momo_transactions_status_idx` ON `momo_transactions` (`status`,`initiated_at`);--> statement-breakpoint
CREATE TABLE `organizer_plan_features` (
	`id` text PRIMARY KEY NOT NULL,
	`plan_id` text NOT NULL,
	`name` text NOT NULL,
	`description` text,
	`is_included` integer DEFAULT true NOT NULL,
	`limit_label` text,
	`display_order` integer DEFAULT 0 NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	FOREIGN KEY (`plan_id`) REFERENCES `organizer_plans`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `organizer_plan_features_plan_idx` ON `organizer_plan_features` (`plan_id`,`display_order`);--> statement-breakpoint
CREATE TABLE `organizer_plans` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`plan_type` text NOT NULL,
	`price` integer NOT NULL,
	`currency` text NOT NULL,
	`billing_period` text NOT NULL,
	`description` text,
	`max_events_per_month` integer,
	`reduced_commission_bp` integer,
	`priority_support` integer DEFAULT false NOT NULL,
	`advanced_analytics` integer DEFAULT false NOT NULL,
	`event_promotion` integer DEFAULT false NOT NULL,
	`profile_customization` integer DEFAULT false NOT NULL,
	`is_active` integer DEFAULT true NOT NULL,
	`display_order` integer DEFAULT 0 NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	CONSTRAINT "organizer_plans_plan_type_check" CHECK("organizer_plans"."plan_type" IN ('STANDARD', 'PREMIUM', 'GOLD')),
	CONSTRAINT "organizer_plans_currency_check" CHECK("organizer_plans"."currency" IN ('XOF', 'TND', 'EUR', 'USD')),
	CONSTRAINT "organizer_plans_billing_period_check" CHECK("organizer_plans"."billing_period" IN ('MONTHLY', 'QUARTERLY', 'YEARLY')),
	CONSTRAINT "organizer_plans_price_non_negative" CHECK("organizer_plans"."price" >= 0),
	CONSTRAINT "organizer_plans_max_events_positive" CHECK("organizer_plans"."max_events_per_month" IS NULL OR "organizer_plans"."max_events_per_month" > 0),
	CONSTRAINT "organizer_plans_reduced_commission_bp_range" CHECK("organizer_plans"."reduced_commission_bp" IS NULL OR "organizer_plans"."reduced_commission_bp" BETWEEN 0 AND 10000)
);
--> statement-breakpoint
CREATE INDEX `organizer_plans_active_order_idx` ON `organizer_plans` (`is_active`,`display_order`);--> statement-breakpoint
CREATE TABLE `organizer_subscription_history` (
	`id` text PRIMARY KEY NOT NULL,
	`organizer_subscription_id` text NOT NULL,
	`action` text NOT NULL,
	`previous_status` text,
	`new_status` text NOT NULL,
	`comment` text,
	`performed_by` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	FOREIGN KEY (`organizer_subscription_id`) REFERENCES `organizer_subscriptions`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`performed_by`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE set null,
	CONSTRAINT "organizer_subscription_history_action_check" CHECK("organizer_subscription_history"."action" IN ('SUBSCRIBE', 'RENEW', 'PLAN_CHANGE', 'CANCEL', 'SUSPEND', 'REACTIVATE')),
	CONSTRAINT "organizer_subscription_history_previous_status_check" CHECK("organizer_subscription_history"."previous_status" IN ('ACTIVE', 'EXPIRED', 'CANCELLED', 'SUSPENDED', 'PENDING')),
	CONSTRAINT "organizer_subscription_history_new_status_check" CHECK("organizer_subscription_history"."new_status" IN ('ACTIVE', 'EXPIRED', 'CANCELLED', 'SUSPENDED', 'PENDING'))
);
--> statement-breakpoint
CREATE INDEX `organizer_subscription_history_subscription_idx` ON `organizer_subscription_history` (`organizer_subscription_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `organizer_subscriptions` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`plan_id` text NOT NULL,
	`starts_at` text NOT NULL,
	`ends_at` text NOT NULL,
	`status` text DEFAULT 'PENDING' NOT NULL,
	`price_paid` integer NOT NULL,
	`currency` text NOT NULL,
	`auto_renew` integer DEFAULT false NOT NULL,
	`payment_reference` text,
	`events_created_this_month` integer DEFAULT 0 NOT NULL,
	`counter_reset_at` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`plan_id`) REFERENCES `organizer_plans`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "organizer_subscriptions_status_check" CHECK("organizer_subscriptions"."status" IN ('ACTIVE', 'EXPIRED', 'CANCELLED', 'SUSPENDED', 'PENDING')),
	CONSTRAINT "organizer_subscriptions_currency_check" CHECK("organizer_subscriptions"."currency" IN ('XOF', 'TND', 'EUR', 'USD')),
	CONSTRAINT "organizer_subscriptions_ends_after_start" CHECK("organizer_subscriptions"."ends_at" > "organizer_subscriptions"."starts_at"),
	CONSTRAINT "organizer_subscriptions_price_paid_non_negative" CHECK("organizer_subscriptions"."price_paid" >= 0),
	CONSTRAINT "organizer_subscriptions_events_counter_non_negative" CHECK("organizer_subscriptions"."events_created_this_month" >= 0)
);
--> statement-breakpoint
CREATE UNIQUE INDEX `organizer_subscriptions_one_active` ON `organizer_subscriptions` (`user_id`) WHERE "organizer_subscriptions"."status" = 'ACTIVE';--> statement-breakpoint
CREATE INDEX `organizer_subscriptions_user_idx` ON `organizer_subscriptions` (`user_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `organizer_subscriptions_expiry_idx` ON `organizer_subscriptions` (`status`,`ends_at`);--> statement-breakpoint
CREATE INDEX `organizer_subscriptions_plan_idx` ON `organizer_subscriptions` (`plan_id`);--> statement-breakpoint
CREATE TABLE `payments` (
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
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE set null,
	FOREIGN KEY (`ticket_id`) REFERENCES `tickets`(`id`) ON UPDATE no action ON DELETE set null,
	FOREIGN KEY (`subscription_id`) REFERENCES `subscriptions`(`id`) ON UPDATE no action ON DELETE set null,
	FOREIGN KEY (`organizer_subscription_id`) REFERENCES `organizer_subscriptions`(`id`) ON UPDATE no action ON DELETE set null,
	FOREIGN KEY (`original_payment_id`) REFERENCES `payments`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "payments_type_check" CHECK("payments"."type" IN ('TICKET', 'SEASON_PASS', 'ORGANIZER_PLAN', 'COMMISSION', 'REFUND')),
	CONSTRAINT "payments_currency_check" CHECK("payments"."currency" IN ('XOF', 'TND', 'EUR', 'USD')),
	CONSTRAINT "payments_status_check" CHECK("payments"."status" IN ('PENDING', 'PROCESSING', 'PAID', 'FAILED', 'REFUNDED', 'PARTIALLY_REFUNDED', 'CANCELLED')),
	CONSTRAINT "payments_method_check" CHECK("payments"."method" IN ('MOMO_MTN', 'MOMO_MOOV', 'CARD', 'BANK_TRANSFER', 'CASH')),
	CONSTRAINT "payments_provider_check" CHECK("payments"."provider" IN ('MTN_MOMO', 'MOOV_MONEY', 'CARD', 'BANK', 'CASH_DESK', 'SANDBOX')),
	CONSTRAINT "payments_amounts_non_negative" CHECK("payments"."amount" >= 0 AND "payments"."fees" >= 0),
	CONSTRAINT "payments_net_amount_is_amount_minus_fees" CHECK("payments"."net_amount" = "payments"."amount" - "payments"."fees"),
	CONSTRAINT "payments_refunded_within_amount" CHECK("payments"."refunded_amount" >= 0 AND "payments"."refunded_amount" <= "payments"."amount"),
	CONSTRAINT "payments_target_matches_type" CHECK(("payments"."type" <> 'TICKET' OR "payments"."ticket_id" IS NOT NULL) AND ("payments"."type" <> 'SEASON_PASS' OR "payments"."subscription_id" IS NOT NULL) AND ("payments"."type" <> 'ORGANIZER_PLAN' OR "payments"."organizer_subscription_id" IS NOT NULL) AND ("payments"."type" <> 'REFUND' OR "payments"."original_payment_id" IS NOT NULL))
);
--> statement-breakpoint
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
CREATE TABLE `refunds` (
	`id` text PRIMARY KEY NOT NULL,
	`payment_id` text NOT NULL,
	`requested_by` text,
	`amount` integer NOT NULL,
	`currency` text NOT NULL,
	`reason` text NOT NULL,
	`description` text,
	`status` text DEFAULT 'REQUESTED' NOT NULL,
	`processed_by` text,
	`admin_comment` text,
	`refund_payment_id` text,
	`requested_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`processed_at` text,
	`refunded_at` text,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	FOREIGN KEY (`payment_id`) REFERENCES `payments`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`requested_by`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE set null,
	FOREIGN KEY (`processed_by`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE set null,
	FOREIGN KEY (`refund_payment_id`) REFERENCES `payments`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "refunds_currency_check" CHECK("refunds"."currency" IN ('XOF', 'TND', 'EUR', 'USD')),
	CONSTRAINT "refunds_reason_check" CHECK("refunds"."reason" IN ('EVENT_CANCELLED', 'CUSTOMER_REQUEST', 'PAYMENT_ERROR', 'FRAUD', 'OTHER')),
	CONSTRAINT "refunds_status_check" CHECK("refunds"."status" IN ('REQUESTED', 'PROCESSING', 'APPROVED', 'REJECTED', 'REFUNDED')),
	CONSTRAINT "refunds_amount_positive" CHECK("refunds"."amount" > 0)
);
--> statement-breakpoint
CREATE INDEX `refunds_payment_idx` ON `refunds` (`payment_id`);--> statement-breakpoint
CREATE INDEX `refunds_status_idx` ON `refunds` (`status`,`requested_at`);--> statement-breakpoint
CREATE INDEX `refunds_requested_by_idx` ON `refunds` (`requested_by`,`requested_at`);--> statement-breakpoint
CREATE TABLE `webhook_events` (
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
	CONSTRAINT "webhook_events_provider_check" CHECK("webhook_events"."provider" IN ('MTN_MOMO', 'MOOV_MONEY', 'CARD', 'BANK', 'CASH_DESK', 'SANDBOX')),
	CONSTRAINT "webhook_events_status_check" CHECK("webhook_events"."status" IN ('RECEIVED', 'PROCESSING', 'PROCESSED', 'FAILED', 'IGNORED')),
	CONSTRAINT "webhook_events_attempts_non_negative" CHECK("webhook_events"."attempts" >= 0)
);
--> statement-breakpoint
CREATE UNIQUE INDEX `webhook_events_provider_event_unique` ON `webhook_events` (`provider`,`provider_event_id`);--> statement-breakpoint
CREATE INDEX `webhook_events_status_idx` ON `webhook_events` (`status`,`received_at`);--> statement-breakpoint
CREATE INDEX `webhook_events_payment_idx` ON `webhook_events` (`payment_id`);--> statement-breakpoint
CREATE TABLE `idempotency_keys` (
	`id` text PRIMARY KEY NOT NULL,
	`scope` text NOT NULL,
	`key` text NOT NULL,
	`method` text NOT NULL,
	`path` text NOT NULL,
	`request_hash` text NOT NULL,
	`response_status` integer,
	`response_body` text,
	`response_content_type` text,
	`response_location` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`expires_at` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `idempotency_keys_scope_key_unique` ON `idempotency_keys` (`scope`,`key`);--> statement-breakpoint
CREATE INDEX `idempotency_keys_expiry_idx` ON `idempotency_keys` (`expires_at`);