CREATE TABLE `gate_socket_sessions` (
	`session_id` text NOT NULL,
	`event_id` text NOT NULL,
	`opened_at` text NOT NULL,
	PRIMARY KEY(`session_id`, `event_id`),
	FOREIGN KEY (`session_id`) REFERENCES `auth_sessions`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`event_id`) REFERENCES `events`(`id`) ON UPDATE no action ON DELETE cascade
);
