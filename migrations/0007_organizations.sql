CREATE TABLE `organization_invitations` (
	`id` text PRIMARY KEY NOT NULL,
	`organization_id` text NOT NULL,
	`email` text NOT NULL,
	`role` text NOT NULL,
	`token_hash` text NOT NULL,
	`status` text DEFAULT 'PENDING' NOT NULL,
	`invited_by` text,
	`expires_at` text NOT NULL,
	`accepted_by` text,
	`accepted_at` text,
	`revoked_by` text,
	`revoked_at` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	FOREIGN KEY (`organization_id`) REFERENCES `organizations`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`invited_by`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE set null,
	FOREIGN KEY (`accepted_by`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE set null,
	FOREIGN KEY (`revoked_by`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE set null,
	CONSTRAINT "organization_invitations_role_check" CHECK("organization_invitations"."role" IN ('OWNER', 'MANAGER', 'BOX_OFFICE', 'FINANCE', 'SUPERVISOR', 'CONTROLLER')),
	CONSTRAINT "organization_invitations_status_check" CHECK("organization_invitations"."status" IN ('PENDING', 'ACCEPTED', 'REVOKED', 'EXPIRED')),
	CONSTRAINT "organization_invitations_email_lowercase" CHECK("organization_invitations"."email" = lower("organization_invitations"."email"))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `organization_invitations_token_unique` ON `organization_invitations` (`token_hash`);--> statement-breakpoint
CREATE UNIQUE INDEX `organization_invitations_one_pending` ON `organization_invitations` (`organization_id`,`email`) WHERE "organization_invitations"."status" = 'PENDING';--> statement-breakpoint
CREATE INDEX `organization_invitations_org_idx` ON `organization_invitations` (`organization_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `organization_members` (
	`id` text PRIMARY KEY NOT NULL,
	`organization_id` text NOT NULL,
	`user_id` text NOT NULL,
	`role` text NOT NULL,
	`added_by` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	FOREIGN KEY (`organization_id`) REFERENCES `organizations`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`added_by`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE set null,
	CONSTRAINT "organization_members_role_check" CHECK("organization_members"."role" IN ('OWNER', 'MANAGER', 'BOX_OFFICE', 'FINANCE', 'SUPERVISOR', 'CONTROLLER'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `organization_members_org_user_unique` ON `organization_members` (`organization_id`,`user_id`);--> statement-breakpoint
CREATE INDEX `organization_members_user_idx` ON `organization_members` (`user_id`,`role`);--> statement-breakpoint
CREATE INDEX `organization_members_org_role_idx` ON `organization_members` (`organization_id`,`role`);--> statement-breakpoint
CREATE TABLE `organizations` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`description` text,
	`contact_email` text,
	`created_by` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	FOREIGN KEY (`created_by`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE INDEX `organizations_created_by_idx` ON `organizations` (`created_by`);--> statement-breakpoint
DROP INDEX `organizer_subscriptions_one_active`;--> statement-breakpoint
ALTER TABLE `organizer_subscriptions` ADD `organization_id` text REFERENCES organizations(id);--> statement-breakpoint
CREATE UNIQUE INDEX `organizer_subscriptions_one_active_per_organization` ON `organizer_subscriptions` (`organization_id`) WHERE "organizer_subscriptions"."status" = 'ACTIVE';--> statement-breakpoint
ALTER TABLE `user_groups` ADD `organization_id` text REFERENCES organizations(id);--> statement-breakpoint
CREATE INDEX `user_groups_organization_idx` ON `user_groups` (`organization_id`);--> statement-breakpoint
ALTER TABLE `event_groups` ADD `organization_id` text REFERENCES organizations(id);--> statement-breakpoint
CREATE INDEX `event_groups_organization_idx` ON `event_groups` (`organization_id`);--> statement-breakpoint
ALTER TABLE `events` ADD `organization_id` text REFERENCES organizations(id);--> statement-breakpoint
CREATE INDEX `events_organization_idx` ON `events` (`organization_id`,`starts_at`);--> statement-breakpoint
ALTER TABLE `venues` ADD `organization_id` text REFERENCES organizations(id);--> statement-breakpoint
CREATE INDEX `venues_organization_idx` ON `venues` (`organization_id`);--> statement-breakpoint
ALTER TABLE `pricing_rules` ADD `organization_id` text REFERENCES organizations(id);--> statement-breakpoint
CREATE INDEX `pricing_rules_organization_idx` ON `pricing_rules` (`organization_id`);--> statement-breakpoint
ALTER TABLE `subscription_plans` ADD `organization_id` text REFERENCES organizations(id);--> statement-breakpoint
CREATE INDEX `subscription_plans_organization_idx` ON `subscription_plans` (`organization_id`);--> statement-breakpoint
ALTER TABLE `ticket_templates` ADD `organization_id` text REFERENCES organizations(id);--> statement-breakpoint
CREATE INDEX `ticket_templates_organization_idx` ON `ticket_templates` (`organization_id`);--> statement-breakpoint
ALTER TABLE `ticket_types` ADD `organization_id` text REFERENCES organizations(id);--> statement-breakpoint
CREATE INDEX `ticket_types_organization_idx` ON `ticket_types` (`organization_id`,`is_active`);--> statement-breakpoint
ALTER TABLE `commissions` ADD `organization_id` text REFERENCES organizations(id);--> statement-breakpoint
CREATE INDEX `commissions_organization_idx` ON `commissions` (`organization_id`,`status`,`created_at`);