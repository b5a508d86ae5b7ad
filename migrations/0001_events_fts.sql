-- Full-text search over events (GET /v1/events?q=): title, description, short_description.
-- External content: the text is stored once, in `events`, and this index is derived from it,
-- so it can always be rebuilt with INSERT INTO events_fts(events_fts) VALUES ('rebuild')
-- (`wrangler d1 export` refuses databases holding FTS5 tables: drop events_fts, export,
-- then re-run this file). unicode61 with remove_diacritics 2 folds accents in the index and
-- in queries alike, so "evenement" finds "Événement".
CREATE VIRTUAL TABLE `events_fts` USING fts5(
	title,
	description,
	short_description,
	content = 'events',
	content_rowid = 'rowid',
	tokenize = 'unicode61 remove_diacritics 2'
);
--> statement-breakpoint
CREATE TRIGGER `events_fts_after_insert` AFTER INSERT ON `events` BEGIN
	INSERT INTO events_fts (rowid, title, description, short_description)
	VALUES (new.rowid, new.title, new.description, new.short_description);
END;
--> statement-breakpoint
CREATE TRIGGER `events_fts_after_delete` AFTER DELETE ON `events` BEGIN
	INSERT INTO events_fts (events_fts, rowid, title, description, short_description)
	VALUES ('delete', old.rowid, old.title, old.description, old.short_description);
END;
--> statement-breakpoint
-- Only text edits reindex: counters (views, shares) and status changes leave the index alone.
CREATE TRIGGER `events_fts_after_update` AFTER UPDATE OF title, description, short_description ON `events` BEGIN
	INSERT INTO events_fts (events_fts, rowid, title, description, short_description)
	VALUES ('delete', old.rowid, old.title, old.description, old.short_description);
	INSERT INTO events_fts (rowid, title, description, short_description)
	VALUES (new.rowid, new.title, new.description, new.short_description);
END;
--> statement-breakpoint
-- Backfill: index the events that exist before this migration.
INSERT INTO events_fts (events_fts) VALUES ('rebuild');
