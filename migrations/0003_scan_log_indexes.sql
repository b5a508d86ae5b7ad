DROP INDEX `access_control_log_access_point_idx`;--> statement-breakpoint
DROP INDEX `access_control_log_controller_idx`;--> statement-breakpoint
DROP INDEX `access_control_log_conflict_idx`;--> statement-breakpoint
CREATE INDEX `access_control_log_conflict_idx` ON `access_control_log` (`event_id`,`timestamp`) WHERE "access_control_log"."is_conflict" = 1;