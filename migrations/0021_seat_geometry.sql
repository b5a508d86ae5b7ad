ALTER TABLE `seats` ADD `is_companion` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `seats` ADD `x` real DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `seats` ADD `y` real DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `seats` ADD `rotation` real DEFAULT 0 NOT NULL;