ALTER TABLE `payments` ADD `card_fingerprint` text;--> statement-breakpoint
ALTER TABLE `users` DROP COLUMN `locked_until`;