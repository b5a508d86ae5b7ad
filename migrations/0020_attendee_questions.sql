ALTER TABLE `event_ticket_config` ADD `attendee_questions` text;--> statement-breakpoint
ALTER TABLE `event_ticket_config` ADD `attendee_edit_until` text;