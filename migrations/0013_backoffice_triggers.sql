-- The back office (issue 18): D1 triggers that keep what its lists search and its reports count, in the
-- same statement as the row they derive from. Hand-written (drizzle-kit generates no triggers); the
-- columns and tables are in 0012_backoffice.sql. Names: users.search_name ("first last") and
-- search_name_rev ("last first"), accents folded and lower-cased exactly as nameKey() in
-- src/lib/name-key.ts does (test/unit/name-key.test.ts compares them), copied to the rights and
-- orders each person holds (access_rights.holder_name_key, tickets.buyer_name_key) so that a name
-- search stays inside one event's index. Reports: the report_* tables (src/backoffice/schema.ts),
-- each trigger taking a row's old contribution out and putting its new one in.
CREATE TRIGGER `users_search_name_insert` AFTER INSERT ON users BEGIN
	UPDATE users SET search_name = replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(first_name || ' ' || last_name, 'à', 'a'), 'á', 'a'), 'â', 'a'), 'ã', 'a'), 'ä', 'a'), 'å', 'a'), 'ā', 'a'), 'ă', 'a'), 'ą', 'a'), 'À', 'a'), 'Á', 'a'), 'Â', 'a'), 'Ã', 'a'), 'Ä', 'a'), 'Å', 'a'), 'Ā', 'a'), search_name_rev = replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(last_name || ' ' || first_name, 'à', 'a'), 'á', 'a'), 'â', 'a'), 'ã', 'a'), 'ä', 'a'), 'å', 'a'), 'ā', 'a'), 'ă', 'a'), 'ą', 'a'), 'À', 'a'), 'Á', 'a'), 'Â', 'a'), 'Ã', 'a'), 'Ä', 'a'), 'Å', 'a'), 'Ā', 'a') WHERE id = new.id;
	UPDATE users SET search_name = replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(search_name, 'Ă', 'a'), 'Ą', 'a'), 'ç', 'c'), 'ć', 'c'), 'ĉ', 'c'), 'ċ', 'c'), 'č', 'c'), 'Ç', 'c'), 'Ć', 'c'), 'Ĉ', 'c'), 'Ċ', 'c'), 'Č', 'c'), 'ď', 'd'), 'đ', 'd'), 'Ď', 'd'), 'Đ', 'd'), search_name_rev = replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(search_name_rev, 'Ă', 'a'), 'Ą', 'a'), 'ç', 'c'), 'ć', 'c'), 'ĉ', 'c'), 'ċ', 'c'), 'č', 'c'), 'Ç', 'c'), 'Ć', 'c'), 'Ĉ', 'c'), 'Ċ', 'c'), 'Č', 'c'), 'ď', 'd'), 'đ', 'd'), 'Ď', 'd'), 'Đ', 'd') WHERE id = new.id;
	UPDATE users SET search_name = replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(search_name, 'è', 'e'), 'é', 'e'), 'ê', 'e'), 'ë', 'e'), 'ē', 'e'), 'ĕ', 'e'), 'ė', 'e'), 'ę', 'e'), 'ě', 'e'), 'È', 'e'), 'É', 'e'), 'Ê', 'e'), 'Ë', 'e'), 'Ē', 'e'), 'Ĕ', 'e'), 'Ė', 'e'), search_name_rev = replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(search_name_rev, 'è', 'e'), 'é', 'e'), 'ê', 'e'), 'ë', 'e'), 'ē', 'e'), 'ĕ', 'e'), 'ė', 'e'), 'ę', 'e'), 'ě', 'e'), 'È', 'e'), 'É', 'e'), 'Ê', 'e'), 'Ë', 'e'), 'Ē', 'e'), 'Ĕ', 'e'), 'Ė', 'e') WHERE id = new.id;
	UPDATE users SET search_name = replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(search_name, 'Ę', 'e'), 'Ě', 'e'), 'ĝ', 'g'), 'ğ', 'g'), 'ġ', 'g'), 'ģ', 'g'), 'Ĝ', 'g'), 'Ğ', 'g'), 'Ġ', 'g'), 'Ģ', 'g'), 'ĥ', 'h'), 'ħ', 'h'), 'Ĥ', 'h'), 'Ħ', 'h'), 'ì', 'i'), 'í', 'i'), search_name_rev = replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(search_name_rev, 'Ę', 'e'), 'Ě', 'e'), 'ĝ', 'g'), 'ğ', 'g'), 'ġ', 'g'), 'ģ', 'g'), 'Ĝ', 'g'), 'Ğ', 'g'), 'Ġ', 'g'), 'Ģ', 'g'), 'ĥ', 'h'), 'ħ', 'h'), 'Ĥ', 'h'), 'Ħ', 'h'), 'ì', 'i'), 'í', 'i') WHERE id = new.id;
	UPDATE users SET search_name = replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(search_name, 'î', 'i'), 'ï', 'i'), 'ĩ', 'i'), 'ī', 'i'), 'ĭ', 'i'), 'į', 'i'), 'ı', 'i'), 'Ì', 'i'), 'Í', 'i'), 'Î', 'i'), 'Ï', 'i'), 'Ĩ', 'i'), 'Ī', 'i'), 'Ĭ', 'i'), 'Į', 'i'), 'İ', 'i'), search_name_rev = replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(search_name_rev, 'î', 'i'), 'ï', 'i'), 'ĩ', 'i'), 'ī', 'i'), 'ĭ', 'i'), 'į', 'i'), 'ı', 'i'), 'Ì', 'i'), 'Í', 'i'), 'Î', 'i'), 'Ï', 'i'), 'Ĩ', 'i'), 'Ī', 'i'), 'Ĭ', 'i'), 'Į', 'i'), 'İ', 'i') WHERE id = new.id;
	UPDATE users SET search_name = replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(search_name, 'ñ', 'n'), 'ń', 'n'), 'ņ', 'n'), 'ň', 'n'), 'Ñ', 'n'), 'Ń', 'n'), 'Ņ', 'n'), 'Ň', 'n'), 'ò', 'o'), 'ó', 'o'), 'ô', 'o'), 'õ', 'o'), 'ö', 'o'), 'ø', 'o'), 'ō', 'o'), 'ŏ', 'o'), search_name_rev = replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(search_name_rev, 'ñ', 'n'), 'ń', 'n'), 'ņ', 'n'), 'ň', 'n'), 'Ñ', 'n'), 'Ń', 'n'), 'Ņ', 'n'), 'Ň', 'n'), 'ò', 'o'), 'ó', 'o'), 'ô', 'o'), 'õ', 'o'), 'ö', 'o'), 'ø', 'o'), 'ō', 'o'), 'ŏ', 'o') WHERE id = new.id;
	UPDATE users SET search_name = replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(search_name, 'ő', 'o'), 'Ò', 'o'), 'Ó', 'o'), 'Ô', 'o'), 'Õ', 'o'), 'Ö', 'o'), 'Ø', 'o'), 'Ō', 'o'), 'Ŏ', 'o'), 'Ő', 'o'), 'ś', 's'), 'ŝ', 's'), 'ş', 's'), 'š', 's'), 'Ś', 's'), 'Ŝ', 's'), search_name_rev = replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(search_name_rev, 'ő', 'o'), 'Ò', 'o'), 'Ó', 'o'), 'Ô', 'o'), 'Õ', 'o'), 'Ö', 'o'), 'Ø', 'o'), 'Ō', 'o'), 'Ŏ', 'o'), 'Ő', 'o'), 'ś', 's'), 'ŝ', 's'), 'ş', 's'), 'š', 's'), 'Ś', 's'), 'Ŝ', 's') WHERE id = new.id;
	UPDATE users SET search_name = replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(search_name, 'Ş', 's'), 'Š', 's'), 'ţ', 't'), 'ť', 't'), 'ŧ', 't'), 'Ţ', 't'), 'Ť', 't'), 'Ŧ', 't'), 'ù', 'u'), 'ú', 'u'), 'û', 'u'), 'ü', 'u'), 'ũ', 'u'), 'ū', 'u'), 'ŭ', 'u'), 'ů', 'u'), search_name_rev = replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(search_name_rev, 'Ş', 's'), 'Š', 's'), 'ţ', 't'), 'ť', 't'), 'ŧ', 't'), 'Ţ', 't'), 'Ť', 't'), 'Ŧ', 't'), 'ù', 'u'), 'ú', 'u'), 'û', 'u'), 'ü', 'u'), 'ũ', 'u'), 'ū', 'u'), 'ŭ', 'u'), 'ů', 'u') WHERE id = new.id;
	UPDATE users SET search_name = replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(search_name, 'ű', 'u'), 'ų', 'u'), 'Ù', 'u'), 'Ú', 'u'), 'Û', 'u'), 'Ü', 'u'), 'Ũ', 'u'), 'Ū', 'u'), 'Ŭ', 'u'), 'Ů', 'u'), 'Ű', 'u'), 'Ų', 'u'), 'ý', 'y'), 'ÿ', 'y'), 'ŷ', 'y'), 'Ý', 'y'), search_name_rev = replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(search_name_rev, 'ű', 'u'), 'ų', 'u'), 'Ù', 'u'), 'Ú', 'u'), 'Û', 'u'), 'Ü', 'u'), 'Ũ', 'u'), 'Ū', 'u'), 'Ŭ', 'u'), 'Ů', 'u'), 'Ű', 'u'), 'Ų', 'u'), 'ý', 'y'), 'ÿ', 'y'), 'ŷ', 'y'), 'Ý', 'y') WHERE id = new.id;
	UPDATE users SET search_name = replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(search_name, 'Ÿ', 'y'), 'Ŷ', 'y'), 'ź', 'z'), 'ż', 'z'), 'ž', 'z'), 'Ź', 'z'), 'Ż', 'z'), 'Ž', 'z'), 'æ', 'ae'), 'Æ', 'ae'), 'œ', 'oe'), 'Œ', 'oe'), 'ß', 'ss'), '''', ''), '’', ''), '-', ' '), search_name_rev = replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(search_name_rev, 'Ÿ', 'y'), 'Ŷ', 'y'), 'ź', 'z'), 'ż', 'z'), 'ž', 'z'), 'Ź', 'z'), 'Ż', 'z'), 'Ž', 'z'), 'æ', 'ae'), 'Æ', 'ae'), 'œ', 'oe'), 'Œ', 'oe'), 'ß', 'ss'), '''', ''), '’', ''), '-', ' ') WHERE id = new.id;
	UPDATE users SET search_name = trim(replace(replace(lower(search_name), '  ', ' '), '  ', ' ')), search_name_rev = trim(replace(replace(lower(search_name_rev), '  ', ' '), '  ', ' ')) WHERE id = new.id;
END;
--> statement-breakpoint
-- A renamed person is found under the new name in every event at once.
CREATE TRIGGER `users_search_name_update` AFTER UPDATE OF first_name, last_name ON users BEGIN
	UPDATE users SET search_name = replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(first_name || ' ' || last_name, 'à', 'a'), 'á', 'a'), 'â', 'a'), 'ã', 'a'), 'ä', 'a'), 'å', 'a'), 'ā', 'a'), 'ă', 'a'), 'ą', 'a'), 'À', 'a'), 'Á', 'a'), 'Â', 'a'), 'Ã', 'a'), 'Ä', 'a'), 'Å', 'a'), 'Ā', 'a'), search_name_rev = replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(last_name || ' ' || first_name, 'à', 'a'), 'á', 'a'), 'â', 'a'), 'ã', 'a'), 'ä', 'a'), 'å', 'a'), 'ā', 'a'), 'ă', 'a'), 'ą', 'a'), 'À', 'a'), 'Á', 'a'), 'Â', 'a'), 'Ã', 'a'), 'Ä', 'a'), 'Å', 'a'), 'Ā', 'a') WHERE id = new.id;
	UPDATE users SET search_name = replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(search_name, 'Ă', 'a'), 'Ą', 'a'), 'ç', 'c'), 'ć', 'c'), 'ĉ', 'c'), 'ċ', 'c'), 'č', 'c'), 'Ç', 'c'), 'Ć', 'c'), 'Ĉ', 'c'), 'Ċ', 'c'), 'Č', 'c'), 'ď', 'd'), 'đ', 'd'), 'Ď', 'd'), 'Đ', 'd'), search_name_rev = replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(search_name_rev, 'Ă', 'a'), 'Ą', 'a'), 'ç', 'c'), 'ć', 'c'), 'ĉ', 'c'), 'ċ', 'c'), 'č', 'c'), 'Ç', 'c'), 'Ć', 'c'), 'Ĉ', 'c'), 'Ċ', 'c'), 'Č', 'c'), 'ď', 'd'), 'đ', 'd'), 'Ď', 'd'), 'Đ', 'd') WHERE id = new.id;
	UPDATE users SET search_name = replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(search_name, 'è', 'e'), 'é', 'e'), 'ê', 'e'), 'ë', 'e'), 'ē', 'e'), 'ĕ', 'e'), 'ė', 'e'), 'ę', 'e'), 'ě', 'e'), 'È', 'e'), 'É', 'e'), 'Ê', 'e'), 'Ë', 'e'), 'Ē', 'e'), 'Ĕ', 'e'), 'Ė', 'e'), search_name_rev = replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(search_name_rev, 'è', 'e'), 'é', 'e'), 'ê', 'e'), 'ë', 'e'), 'ē', 'e'), 'ĕ', 'e'), 'ė', 'e'), 'ę', 'e'), 'ě', 'e'), 'È', 'e'), 'É', 'e'), 'Ê', 'e'), 'Ë', 'e'), 'Ē', 'e'), 'Ĕ', 'e'), 'Ė', 'e') WHERE id = new.id;
	UPDATE users SET search_name = replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(search_name, 'Ę', 'e'), 'Ě', 'e'), 'ĝ', 'g'), 'ğ', 'g'), 'ġ', 'g'), 'ģ', 'g'), 'Ĝ', 'g'), 'Ğ', 'g'), 'Ġ', 'g'), 'Ģ', 'g'), 'ĥ', 'h'), 'ħ', 'h'), 'Ĥ', 'h'), 'Ħ', 'h'), 'ì', 'i'), 'í', 'i'), search_name_rev = replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(search_name_rev, 'Ę', 'e'), 'Ě', 'e'), 'ĝ', 'g'), 'ğ', 'g'), 'ġ', 'g'), 'ģ', 'g'), 'Ĝ', 'g'), 'Ğ', 'g'), 'Ġ', 'g'), 'Ģ', 'g'), 'ĥ', 'h'), 'ħ', 'h'), 'Ĥ', 'h'), 'Ħ', 'h'), 'ì', 'i'), 'í', 'i') WHERE id = new.id;
	UPDATE users SET search_name = replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(search_name, 'î', 'i'), 'ï', 'i'), 'ĩ', 'i'), 'ī', 'i'), 'ĭ', 'i'), 'į', 'i'), 'ı', 'i'), 'Ì', 'i'), 'Í', 'i'), 'Î', 'i'), 'Ï', 'i'), 'Ĩ', 'i'), 'Ī', 'i'), 'Ĭ', 'i'), 'Į', 'i'), 'İ', 'i'), search_name_rev = replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(search_name_rev, 'î', 'i'), 'ï', 'i'), 'ĩ', 'i'), 'ī', 'i'), 'ĭ', 'i'), 'į', 'i'), 'ı', 'i'), 'Ì', 'i'), 'Í', 'i'), 'Î', 'i'), 'Ï', 'i'), 'Ĩ', 'i'), 'Ī', 'i'), 'Ĭ', 'i'), 'Į', 'i'), 'İ', 'i') WHERE id = new.id;
	UPDATE users SET search_name = replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(search_name, 'ñ', 'n'), 'ń', 'n'), 'ņ', 'n'), 'ň', 'n'), 'Ñ', 'n'), 'Ń', 'n'), 'Ņ', 'n'), 'Ň', 'n'), 'ò', 'o'), 'ó', 'o'), 'ô', 'o'), 'õ', 'o'), 'ö', 'o'), 'ø', 'o'), 'ō', 'o'), 'ŏ', 'o'), search_name_rev = replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(search_name_rev, 'ñ', 'n'), 'ń', 'n'), 'ņ', 'n'), 'ň', 'n'), 'Ñ', 'n'), 'Ń', 'n'), 'Ņ', 'n'), 'Ň', 'n'), 'ò', 'o'), 'ó', 'o'), 'ô', 'o'), 'õ', 'o'), 'ö', 'o'), 'ø', 'o'), 'ō', 'o'), 'ŏ', 'o') WHERE id = new.id;
	UPDATE users SET search_name = replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(search_name, 'ő', 'o'), 'Ò', 'o'), 'Ó', 'o'), 'Ô', 'o'), 'Õ', 'o'), 'Ö', 'o'), 'Ø', 'o'), 'Ō', 'o'), 'Ŏ', 'o'), 'Ő', 'o'), 'ś', 's'), 'ŝ', 's'), 'ş', 's'), 'š', 's'), 'Ś', 's'), 'Ŝ', 's'), search_name_rev = replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(search_name_rev, 'ő', 'o'), 'Ò', 'o'), 'Ó', 'o'), 'Ô', 'o'), 'Õ', 'o'), 'Ö', 'o'), 'Ø', 'o'), 'Ō', 'o'), 'Ŏ', 'o'), 'Ő', 'o'), 'ś', 's'), 'ŝ', 's'), 'ş', 's'), 'š', 's'), 'Ś', 's'), 'Ŝ', 's') WHERE id = new.id;
	UPDATE users SET search_name = replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(search_name, 'Ş', 's'), 'Š', 's'), 'ţ', 't'), 'ť', 't'), 'ŧ', 't'), 'Ţ', 't'), 'Ť', 't'), 'Ŧ', 't'), 'ù', 'u'), 'ú', 'u'), 'û', 'u'), 'ü', 'u'), 'ũ', 'u'), 'ū', 'u'), 'ŭ', 'u'), 'ů', 'u'), search_name_rev = replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(search_name_rev, 'Ş', 's'), 'Š', 's'), 'ţ', 't'), 'ť', 't'), 'ŧ', 't'), 'Ţ', 't'), 'Ť', 't'), 'Ŧ', 't'), 'ù', 'u'), 'ú', 'u'), 'û', 'u'), 'ü', 'u'), 'ũ', 'u'), 'ū', 'u'), 'ŭ', 'u'), 'ů', 'u') WHERE id = new.id;
	UPDATE users SET search_name = replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(search_name, 'ű', 'u'), 'ų', 'u'), 'Ù', 'u'), 'Ú', 'u'), 'Û', 'u'), 'Ü', 'u'), 'Ũ', 'u'), 'Ū', 'u'), 'Ŭ', 'u'), 'Ů', 'u'), 'Ű', 'u'), 'Ų', 'u'), 'ý', 'y'), 'ÿ', 'y'), 'ŷ', 'y'), 'Ý', 'y'), search_name_rev = replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(search_name_rev, 'ű', 'u'), 'ų', 'u'), 'Ù', 'u'), 'Ú', 'u'), 'Û', 'u'), 'Ü', 'u'), 'Ũ', 'u'), 'Ū', 'u'), 'Ŭ', 'u'), 'Ů', 'u'), 'Ű', 'u'), 'Ų', 'u'), 'ý', 'y'), 'ÿ', 'y'), 'ŷ', 'y'), 'Ý', 'y') WHERE id = new.id;
	UPDATE users SET search_name = replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(search_name, 'Ÿ', 'y'), 'Ŷ', 'y'), 'ź', 'z'), 'ż', 'z'), 'ž', 'z'), 'Ź', 'z'), 'Ż', 'z'), 'Ž', 'z'), 'æ', 'ae'), 'Æ', 'ae'), 'œ', 'oe'), 'Œ', 'oe'), 'ß', 'ss'), '''', ''), '’', ''), '-', ' '), search_name_rev = replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(search_name_rev, 'Ÿ', 'y'), 'Ŷ', 'y'), 'ź', 'z'), 'ż', 'z'), 'ž', 'z'), 'Ź', 'z'), 'Ż', 'z'), 'Ž', 'z'), 'æ', 'ae'), 'Æ', 'ae'), 'œ', 'oe'), 'Œ', 'oe'), 'ß', 'ss'), '''', ''), '’', ''), '-', ' ') WHERE id = new.id;
	UPDATE users SET search_name = trim(replace(replace(lower(search_name), '  ', ' '), '  ', ' ')), search_name_rev = trim(replace(replace(lower(search_name_rev), '  ', ' '), '  ', ' ')) WHERE id = new.id;
	UPDATE access_rights SET (holder_name_key, holder_name_key_rev) = (SELECT search_name, search_name_rev FROM users WHERE id = new.id) WHERE user_id = new.id;
	UPDATE tickets SET (buyer_name_key, buyer_name_key_rev) = (SELECT search_name, search_name_rev FROM users WHERE id = new.id) WHERE user_id = new.id;
END;
--> statement-breakpoint
-- The projection upserts a right whenever it changes; only a new holder (a new row) needs the key. A holder D1 does not know
-- gets an empty key: the row's foreign key, not this trigger, is what refuses it.
CREATE TRIGGER `access_rights_holder_insert` AFTER INSERT ON access_rights BEGIN
	UPDATE access_rights SET (holder_name_key, holder_name_key_rev) = (coalesce((SELECT search_name FROM users WHERE id = new.user_id), ''), coalesce((SELECT search_name_rev FROM users WHERE id = new.user_id), '')) WHERE id = new.id;
END;
--> statement-breakpoint
CREATE TRIGGER `access_rights_holder_update` AFTER UPDATE OF user_id ON access_rights WHEN old.user_id IS NOT new.user_id BEGIN
	UPDATE access_rights SET (holder_name_key, holder_name_key_rev) = (coalesce((SELECT search_name FROM users WHERE id = new.user_id), ''), coalesce((SELECT search_name_rev FROM users WHERE id = new.user_id), '')) WHERE id = new.id;
END;
--> statement-breakpoint
CREATE TRIGGER `tickets_buyer_insert` AFTER INSERT ON tickets BEGIN
	UPDATE tickets SET (buyer_name_key, buyer_name_key_rev) = (coalesce((SELECT search_name FROM users WHERE id = new.user_id), ''), coalesce((SELECT search_name_rev FROM users WHERE id = new.user_id), '')) WHERE id = new.id;
END;
--> statement-breakpoint
CREATE TRIGGER `tickets_buyer_update` AFTER UPDATE OF user_id ON tickets WHEN old.user_id IS NOT new.user_id BEGIN
	UPDATE tickets SET (buyer_name_key, buyer_name_key_rev) = (coalesce((SELECT search_name FROM users WHERE id = new.user_id), ''), coalesce((SELECT search_name_rev FROM users WHERE id = new.user_id), '')) WHERE id = new.id;
END;
--> statement-breakpoint
-- A ticket payment, and the REFUND payment giving one back, belong to the order's event (the event's payment list).
CREATE TRIGGER `payments_event_insert` AFTER INSERT ON payments WHEN new.event_id IS NULL AND (new.ticket_id IS NOT NULL OR new.original_payment_id IS NOT NULL) BEGIN
	UPDATE payments SET event_id = coalesce((SELECT event_id FROM tickets WHERE id = new.ticket_id), (SELECT event_id FROM payments WHERE id = new.original_payment_id)) WHERE id = new.id;
END;
--> statement-breakpoint
CREATE TRIGGER `refunds_event_insert` AFTER INSERT ON refunds WHEN new.event_id IS NULL BEGIN
	UPDATE refunds SET event_id = (SELECT event_id FROM payments WHERE id = new.payment_id) WHERE id = new.id;
END;
--> statement-breakpoint
-- Sales: confirmed and completed orders.
CREATE TRIGGER `report_sales_insert` AFTER INSERT ON tickets WHEN new.booking_status IN ('CONFIRMED', 'COMPLETED') BEGIN
	INSERT INTO report_sales (event_id, day, config_id, channel, pricing_rule_id, unit_price, currency, orders, units, gross, discount, net)
	SELECT new.event_id, substr(coalesce(new.confirmed_at, new.created_at), 1, 10), coalesce(new.event_ticket_config_id, ''), new.purchase_channel, coalesce(new.pricing_rule_id, ''), new.unit_price, new.currency,
		1, new.quantity, (new.total_price + new.discount_amount), new.discount_amount, new.total_price
	WHERE new.booking_status IN ('CONFIRMED', 'COMPLETED')
	ON CONFLICT DO UPDATE SET orders = orders + excluded.orders, units = units + excluded.units, gross = gross + excluded.gross, discount = discount + excluded.discount, net = net + excluded.net;
END;
--> statement-breakpoint
CREATE TRIGGER `report_sales_update` AFTER UPDATE OF booking_status, event_id, confirmed_at, event_ticket_config_id, purchase_channel, pricing_rule_id, unit_price, currency, quantity, total_price, discount_amount ON tickets WHEN (old.booking_status IN ('CONFIRMED', 'COMPLETED') OR new.booking_status IN ('CONFIRMED', 'COMPLETED')) AND (old.booking_status IS NOT new.booking_status OR old.event_id IS NOT new.event_id OR old.confirmed_at IS NOT new.confirmed_at OR old.created_at IS NOT new.created_at OR old.event_ticket_config_id IS NOT new.event_ticket_config_id OR old.purchase_channel IS NOT new.purchase_channel OR old.pricing_rule_id IS NOT new.pricing_rule_id OR old.unit_price IS NOT new.unit_price OR old.currency IS NOT new.currency OR old.quantity IS NOT new.quantity OR old.total_price IS NOT new.total_price OR old.discount_amount IS NOT new.discount_amount) BEGIN
	INSERT INTO report_sales (event_id, day, config_id, channel, pricing_rule_id, unit_price, currency, orders, units, gross, discount, net)
	SELECT old.event_id, substr(coalesce(old.confirmed_at, old.created_at), 1, 10), coalesce(old.event_ticket_config_id, ''), old.purchase_channel, coalesce(old.pricing_rule_id, ''), old.unit_price, old.currency,
		-1, -old.quantity, -(old.total_price + old.discount_amount), -old.discount_amount, -old.total_price
	WHERE old.booking_status IN ('CONFIRMED', 'COMPLETED')
	ON CONFLICT DO UPDATE SET orders = orders + excluded.orders, units = units + excluded.units, gross = gross + excluded.gross, discount = discount + excluded.discount, net = net + excluded.net;
	INSERT INTO report_sales (event_id, day, config_id, channel, pricing_rule_id, unit_price, currency, orders, units, gross, discount, net)
	SELECT new.event_id, substr(coalesce(new.confirmed_at, new.created_at), 1, 10), coalesce(new.event_ticket_config_id, ''), new.purchase_channel, coalesce(new.pricing_rule_id, ''), new.unit_price, new.currency,
		1, new.quantity, (new.total_price + new.discount_amount), new.discount_amount, new.total_price
	WHERE new.booking_status IN ('CONFIRMED', 'COMPLETED')
	ON CONFLICT DO UPDATE SET orders = orders + excluded.orders, units = units + excluded.units, gross = gross + excluded.gross, discount = discount + excluded.discount, net = net + excluded.net;
END;
--> statement-breakpoint
CREATE TRIGGER `report_sales_delete` AFTER DELETE ON tickets WHEN old.booking_status IN ('CONFIRMED', 'COMPLETED') BEGIN
	INSERT INTO report_sales (event_id, day, config_id, channel, pricing_rule_id, unit_price, currency, orders, units, gross, discount, net)
	SELECT old.event_id, substr(coalesce(old.confirmed_at, old.created_at), 1, 10), coalesce(old.event_ticket_config_id, ''), old.purchase_channel, coalesce(old.pricing_rule_id, ''), old.unit_price, old.currency,
		-1, -old.quantity, -(old.total_price + old.discount_amount), -old.discount_amount, -old.total_price
	WHERE old.booking_status IN ('CONFIRMED', 'COMPLETED')
	ON CONFLICT DO UPDATE SET orders = orders + excluded.orders, units = units + excluded.units, gross = gross + excluded.gross, discount = discount + excluded.discount, net = net + excluded.net;
END;
--> statement-breakpoint
-- Rights. A gate's re-entries and exits change neither status nor entered: only the first entry moves a right's count.
CREATE TRIGGER `report_rights_insert` AFTER INSERT ON access_rights BEGIN
	INSERT INTO report_rights (event_id, source_type, config_id, zone_id, plan_id, status, entered, rights)
	SELECT new.event_id, new.source_type, coalesce(new.config_id, ''), coalesce(new.zone_id, ''),
		CASE WHEN new.source_type = 'SUBSCRIPTION' THEN coalesce((SELECT subscription_plan_id FROM subscriptions WHERE id = new.source_id), '') ELSE '' END,
		new.status, new.entry_count > 0, 1
	WHERE true
	ON CONFLICT DO UPDATE SET rights = rights + excluded.rights;
END;
--> statement-breakpoint
CREATE TRIGGER `report_rights_update` AFTER UPDATE OF status, entry_count, event_id, source_type, source_id, config_id, zone_id ON access_rights WHEN old.status IS NOT new.status OR (old.entry_count > 0) IS NOT (new.entry_count > 0) OR old.event_id IS NOT new.event_id OR old.source_type IS NOT new.source_type OR old.source_id IS NOT new.source_id OR old.config_id IS NOT new.config_id OR old.zone_id IS NOT new.zone_id BEGIN
	INSERT INTO report_rights (event_id, source_type, config_id, zone_id, plan_id, status, entered, rights)
	SELECT old.event_id, old.source_type, coalesce(old.config_id, ''), coalesce(old.zone_id, ''),
		CASE WHEN old.source_type = 'SUBSCRIPTION' THEN coalesce((SELECT subscription_plan_id FROM subscriptions WHERE id = old.source_id), '') ELSE '' END,
		old.status, old.entry_count > 0, -1
	WHERE true
	ON CONFLICT DO UPDATE SET rights = rights + excluded.rights;
	INSERT INTO report_rights (event_id, source_type, config_id, zone_id, plan_id, status, entered, rights)
	SELECT new.event_id, new.source_type, coalesce(new.config_id, ''), coalesce(new.zone_id, ''),
		CASE WHEN new.source_type = 'SUBSCRIPTION' THEN coalesce((SELECT subscription_plan_id FROM subscriptions WHERE id = new.source_id), '') ELSE '' END,
		new.status, new.entry_count > 0, 1
	WHERE true
	ON CONFLICT DO UPDATE SET rights = rights + excluded.rights;
END;
--> statement-breakpoint
CREATE TRIGGER `report_rights_delete` AFTER DELETE ON access_rights BEGIN
	INSERT INTO report_rights (event_id, source_type, config_id, zone_id, plan_id, status, entered, rights)
	SELECT old.event_id, old.source_type, coalesce(old.config_id, ''), coalesce(old.zone_id, ''),
		CASE WHEN old.source_type = 'SUBSCRIPTION' THEN coalesce((SELECT subscription_plan_id FROM subscriptions WHERE id = old.source_id), '') ELSE '' END,
		old.status, old.entry_count > 0, -1
	WHERE true
	ON CONFLICT DO UPDATE SET rights = rights + excluded.rights;
END;
--> statement-breakpoint
-- The gate log is append-only; a replayed scan is ignored by its insert (ON CONFLICT DO NOTHING) and fires nothing.
CREATE TRIGGER `report_scans_insert` AFTER INSERT ON access_control_log BEGIN
	INSERT INTO report_scans (event_id, bucket, access_point_id, zone_id, action, status, denial_reason, is_conflict, scan_method, scans)
	VALUES (new.event_id, substr(new.timestamp, 1, 14) || printf('%02d', (CAST(substr(new.timestamp, 15, 2) AS INTEGER) / 15) * 15) || ':00.000Z', new.access_point_id, coalesce(new.zone_id, ''), new.action, new.status, coalesce(new.denial_reason, ''), new.is_conflict, new.scan_method, 1)
	ON CONFLICT DO UPDATE SET scans = scans + 1;
END;
--> statement-breakpoint
-- Commissions, under the organization that owes them.
CREATE TRIGGER `report_commissions_insert` AFTER INSERT ON commissions BEGIN
	INSERT INTO report_commissions (event_id, organization_id, currency, status, commission_type, commissions, base_amount, commission_amount)
	SELECT coalesce(new.event_id, ''), coalesce(new.organization_id, ''), new.currency, new.status, new.commission_type, 1, new.base_amount, new.commission_amount
	WHERE true
	ON CONFLICT DO UPDATE SET commissions = commissions + excluded.commissions, base_amount = base_amount + excluded.base_amount, commission_amount = commission_amount + excluded.commission_amount;
END;
--> statement-breakpoint
CREATE TRIGGER `report_commissions_update` AFTER UPDATE OF event_id, organization_id, currency, status, commission_type, base_amount, commission_amount ON commissions WHEN old.event_id IS NOT new.event_id OR old.organization_id IS NOT new.organization_id OR old.currency IS NOT new.currency OR old.status IS NOT new.status OR old.commission_type IS NOT new.commission_type OR old.base_amount IS NOT new.base_amount OR old.commission_amount IS NOT new.commission_amount BEGIN
	INSERT INTO report_commissions (event_id, organization_id, currency, status, commission_type, commissions, base_amount, commission_amount)
	SELECT coalesce(old.event_id, ''), coalesce(old.organization_id, ''), old.currency, old.status, old.commission_type, -1, -old.base_amount, -old.commission_amount
	WHERE true
	ON CONFLICT DO UPDATE SET commissions = commissions + excluded.commissions, base_amount = base_amount + excluded.base_amount, commission_amount = commission_amount + excluded.commission_amount;
	INSERT INTO report_commissions (event_id, organization_id, currency, status, commission_type, commissions, base_amount, commission_amount)
	SELECT coalesce(new.event_id, ''), coalesce(new.organization_id, ''), new.currency, new.status, new.commission_type, 1, new.base_amount, new.commission_amount
	WHERE true
	ON CONFLICT DO UPDATE SET commissions = commissions + excluded.commissions, base_amount = base_amount + excluded.base_amount, commission_amount = commission_amount + excluded.commission_amount;
END;
--> statement-breakpoint
CREATE TRIGGER `report_commissions_delete` AFTER DELETE ON commissions BEGIN
	INSERT INTO report_commissions (event_id, organization_id, currency, status, commission_type, commissions, base_amount, commission_amount)
	SELECT coalesce(old.event_id, ''), coalesce(old.organization_id, ''), old.currency, old.status, old.commission_type, -1, -old.base_amount, -old.commission_amount
	WHERE true
	ON CONFLICT DO UPDATE SET commissions = commissions + excluded.commissions, base_amount = base_amount + excluded.base_amount, commission_amount = commission_amount + excluded.commission_amount;
END;
--> statement-breakpoint
-- Refund requests, under the event of the payment they give back.
CREATE TRIGGER `report_refunds_insert` AFTER INSERT ON refunds BEGIN
	INSERT INTO report_refunds (event_id, currency, status, reason, refunds, amount)
	SELECT coalesce((SELECT event_id FROM payments WHERE id = new.payment_id), ''), new.currency, new.status, new.reason, 1, new.amount
	WHERE true
	ON CONFLICT DO UPDATE SET refunds = refunds + excluded.refunds, amount = amount + excluded.amount;
END;
--> statement-breakpoint
CREATE TRIGGER `report_refunds_update` AFTER UPDATE OF payment_id, currency, status, reason, amount ON refunds WHEN old.payment_id IS NOT new.payment_id OR old.currency IS NOT new.currency OR old.status IS NOT new.status OR old.reason IS NOT new.reason OR old.amount IS NOT new.amount BEGIN
	INSERT INTO report_refunds (event_id, currency, status, reason, refunds, amount)
	SELECT coalesce((SELECT event_id FROM payments WHERE id = old.payment_id), ''), old.currency, old.status, old.reason, -1, -old.amount
	WHERE true
	ON CONFLICT DO UPDATE SET refunds = refunds + excluded.refunds, amount = amount + excluded.amount;
	INSERT INTO report_refunds (event_id, currency, status, reason, refunds, amount)
	SELECT coalesce((SELECT event_id FROM payments WHERE id = new.payment_id), ''), new.currency, new.status, new.reason, 1, new.amount
	WHERE true
	ON CONFLICT DO UPDATE SET refunds = refunds + excluded.refunds, amount = amount + excluded.amount;
END;
--> statement-breakpoint
CREATE TRIGGER `report_refunds_delete` AFTER DELETE ON refunds BEGIN
	INSERT INTO report_refunds (event_id, currency, status, reason, refunds, amount)
	SELECT coalesce((SELECT event_id FROM payments WHERE id = old.payment_id), ''), old.currency, old.status, old.reason, -1, -old.amount
	WHERE true
	ON CONFLICT DO UPDATE SET refunds = refunds + excluded.refunds, amount = amount + excluded.amount;
END;
--> statement-breakpoint
-- Money taken, platform-wide: payments once PAID (then partly or wholly refunded), under the organization that sold the
-- tickets or the season pass, or that paid its organizer plan ('' for a commission settlement: its commissions point at it
-- only after it is written).
CREATE TRIGGER `report_payments_insert` AFTER INSERT ON payments WHEN new.type <> 'REFUND' AND new.status IN ('PAID', 'PARTIALLY_REFUNDED', 'REFUNDED') BEGIN
	INSERT INTO report_payments (day, currency, provider, method, type, country, organization_id, payments, amount, fees, refunded_amount)
	SELECT substr(coalesce(new.paid_at, new.updated_at), 1, 10), new.currency, new.provider, new.method, new.type,
		coalesce(CASE new.type
			WHEN 'TICKET' THEN (SELECT v.country FROM tickets t JOIN events e ON e.id = t.event_id JOIN venues v ON v.id = e.venue_id WHERE t.id = new.ticket_id)
			WHEN 'SEASON_PASS' THEN (SELECT v.country FROM subscriptions s JOIN events e ON e.id IN (
					SELECT pe.event_id FROM subscription_plan_events pe WHERE pe.subscription_plan_id = s.subscription_plan_id
					UNION ALL SELECT ge.id FROM subscription_plan_event_groups pg JOIN events ge ON ge.event_group_id = pg.event_group_id WHERE pg.subscription_plan_id = s.subscription_plan_id)
				JOIN venues v ON v.id = e.venue_id WHERE s.id = new.subscription_id ORDER BY e.starts_at LIMIT 1)
		END, ''),
		coalesce(CASE new.type
			WHEN 'TICKET' THEN (SELECT e.organization_id FROM tickets t JOIN events e ON e.id = t.event_id WHERE t.id = new.ticket_id)
			WHEN 'SEASON_PASS' THEN (SELECT p.organization_id FROM subscriptions s JOIN subscription_plans p ON p.id = s.subscription_plan_id WHERE s.id = new.subscription_id)
			WHEN 'ORGANIZER_PLAN' THEN (SELECT o.organization_id FROM organizer_subscriptions o WHERE o.id = new.organizer_subscription_id)
		END, ''),
		1, new.amount, new.fees, new.refunded_amount
	WHERE new.type <> 'REFUND' AND new.status IN ('PAID', 'PARTIALLY_REFUNDED', 'REFUNDED')
	ON CONFLICT DO UPDATE SET payments = payments + excluded.payments, amount = amount + excluded.amount, fees = fees + excluded.fees, refunded_amount = refunded_amount + excluded.refunded_amount;
END;
--> statement-breakpoint
CREATE TRIGGER `report_payments_update` AFTER UPDATE OF status, amount, fees, refunded_amount, paid_at, currency, provider, method ON payments WHEN (old.type <> 'REFUND' AND old.status IN ('PAID', 'PARTIALLY_REFUNDED', 'REFUNDED') OR new.type <> 'REFUND' AND new.status IN ('PAID', 'PARTIALLY_REFUNDED', 'REFUNDED')) AND (old.status IS NOT new.status OR old.amount IS NOT new.amount OR old.fees IS NOT new.fees OR old.refunded_amount IS NOT new.refunded_amount OR old.paid_at IS NOT new.paid_at OR old.currency IS NOT new.currency OR old.provider IS NOT new.provider OR old.method IS NOT new.method) BEGIN
	INSERT INTO report_payments (day, currency, provider, method, type, country, organization_id, payments, amount, fees, refunded_amount)
	SELECT substr(coalesce(old.paid_at, old.updated_at), 1, 10), old.currency, old.provider, old.method, old.type,
		coalesce(CASE old.type
			WHEN 'TICKET' THEN (SELECT v.country FROM tickets t JOIN events e ON e.id = t.event_id JOIN venues v ON v.id = e.venue_id WHERE t.id = old.ticket_id)
			WHEN 'SEASON_PASS' THEN (SELECT v.country FROM subscriptions s JOIN events e ON e.id IN (
					SELECT pe.event_id FROM subscription_plan_events pe WHERE pe.subscription_plan_id = s.subscription_plan_id
					UNION ALL SELECT ge.id FROM subscription_plan_event_groups pg JOIN events ge ON ge.event_group_id = pg.event_group_id WHERE pg.subscription_plan_id = s.subscription_plan_id)
				JOIN venues v ON v.id = e.venue_id WHERE s.id = old.subscription_id ORDER BY e.starts_at LIMIT 1)
		END, ''),
		coalesce(CASE old.type
			WHEN 'TICKET' THEN (SELECT e.organization_id FROM tickets t JOIN events e ON e.id = t.event_id WHERE t.id = old.ticket_id)
			WHEN 'SEASON_PASS' THEN (SELECT p.organization_id FROM subscriptions s JOIN subscription_plans p ON p.id = s.subscription_plan_id WHERE s.id = old.subscription_id)
			WHEN 'ORGANIZER_PLAN' THEN (SELECT o.organization_id FROM organizer_subscriptions o WHERE o.id = old.organizer_subscription_id)
		END, ''),
		-1, -old.amount, -old.fees, -old.refunded_amount
	WHERE old.type <> 'REFUND' AND old.status IN ('PAID', 'PARTIALLY_REFUNDED', 'REFUNDED')
	ON CONFLICT DO UPDATE SET payments = payments + excluded.payments, amount = amount + excluded.amount, fees = fees + excluded.fees, refunded_amount = refunded_amount + excluded.refunded_amount;
	INSERT INTO report_payments (day, currency, provider, method, type, country, organization_id, payments, amount, fees, refunded_amount)
	SELECT substr(coalesce(new.paid_at, new.updated_at), 1, 10), new.currency, new.provider, new.method, new.type,
		coalesce(CASE new.type
			WHEN 'TICKET' THEN (SELECT v.country FROM tickets t JOIN events e ON e.id = t.event_id JOIN venues v ON v.id = e.venue_id WHERE t.id = new.ticket_id)
			WHEN 'SEASON_PASS' THEN (SELECT v.country FROM subscriptions s JOIN events e ON e.id IN (
					SELECT pe.event_id FROM subscription_plan_events pe WHERE pe.subscription_plan_id = s.subscription_plan_id
					UNION ALL SELECT ge.id FROM subscription_plan_event_groups pg JOIN events ge ON ge.event_group_id = pg.event_group_id WHERE pg.subscription_plan_id = s.subscription_plan_id)
				JOIN venues v ON v.id = e.venue_id WHERE s.id = new.subscription_id ORDER BY e.starts_at LIMIT 1)
		END, ''),
		coalesce(CASE new.type
			WHEN 'TICKET' THEN (SELECT e.organization_id FROM tickets t JOIN events e ON e.id = t.event_id WHERE t.id = new.ticket_id)
			WHEN 'SEASON_PASS' THEN (SELECT p.organization_id FROM subscriptions s JOIN subscription_plans p ON p.id = s.subscription_plan_id WHERE s.id = new.subscription_id)
			WHEN 'ORGANIZER_PLAN' THEN (SELECT o.organization_id FROM organizer_subscriptions o WHERE o.id = new.organizer_subscription_id)
		END, ''),
		1, new.amount, new.fees, new.refunded_amount
	WHERE new.type <> 'REFUND' AND new.status IN ('PAID', 'PARTIALLY_REFUNDED', 'REFUNDED')
	ON CONFLICT DO UPDATE SET payments = payments + excluded.payments, amount = amount + excluded.amount, fees = fees + excluded.fees, refunded_amount = refunded_amount + excluded.refunded_amount;
END;
--> statement-breakpoint
CREATE TRIGGER `report_payments_delete` AFTER DELETE ON payments WHEN old.type <> 'REFUND' AND old.status IN ('PAID', 'PARTIALLY_REFUNDED', 'REFUNDED') BEGIN
	INSERT INTO report_payments (day, currency, provider, method, type, country, organization_id, payments, amount, fees, refunded_amount)
	SELECT substr(coalesce(old.paid_at, old.updated_at), 1, 10), old.currency, old.provider, old.method, old.type,
		coalesce(CASE old.type
			WHEN 'TICKET' THEN (SELECT v.country FROM tickets t JOIN events e ON e.id = t.event_id JOIN venues v ON v.id = e.venue_id WHERE t.id = old.ticket_id)
			WHEN 'SEASON_PASS' THEN (SELECT v.country FROM subscriptions s JOIN events e ON e.id IN (
					SELECT pe.event_id FROM subscription_plan_events pe WHERE pe.subscription_plan_id = s.subscription_plan_id
					UNION ALL SELECT ge.id FROM subscription_plan_event_groups pg JOIN events ge ON ge.event_group_id = pg.event_group_id WHERE pg.subscription_plan_id = s.subscription_plan_id)
				JOIN venues v ON v.id = e.venue_id WHERE s.id = old.subscription_id ORDER BY e.starts_at LIMIT 1)
		END, ''),
		coalesce(CASE old.type
			WHEN 'TICKET' THEN (SELECT e.organization_id FROM tickets t JOIN events e ON e.id = t.event_id WHERE t.id = old.ticket_id)
			WHEN 'SEASON_PASS' THEN (SELECT p.organization_id FROM subscriptions s JOIN subscription_plans p ON p.id = s.subscription_plan_id WHERE s.id = old.subscription_id)
			WHEN 'ORGANIZER_PLAN' THEN (SELECT o.organization_id FROM organizer_subscriptions o WHERE o.id = old.organizer_subscription_id)
		END, ''),
		-1, -old.amount, -old.fees, -old.refunded_amount
	WHERE old.type <> 'REFUND' AND old.status IN ('PAID', 'PARTIALLY_REFUNDED', 'REFUNDED')
	ON CONFLICT DO UPDATE SET payments = payments + excluded.payments, amount = amount + excluded.amount, fees = fees + excluded.fees, refunded_amount = refunded_amount + excluded.refunded_amount;
END;
--> statement-breakpoint
-- Backfill: the keys and aggregates of the rows that exist before this migration.
UPDATE users SET search_name = replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(first_name || ' ' || last_name, 'à', 'a'), 'á', 'a'), 'â', 'a'), 'ã', 'a'), 'ä', 'a'), 'å', 'a'), 'ā', 'a'), 'ă', 'a'), 'ą', 'a'), 'À', 'a'), 'Á', 'a'), 'Â', 'a'), 'Ã', 'a'), 'Ä', 'a'), 'Å', 'a'), 'Ā', 'a'), search_name_rev = replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(last_name || ' ' || first_name, 'à', 'a'), 'á', 'a'), 'â', 'a'), 'ã', 'a'), 'ä', 'a'), 'å', 'a'), 'ā', 'a'), 'ă', 'a'), 'ą', 'a'), 'À', 'a'), 'Á', 'a'), 'Â', 'a'), 'Ã', 'a'), 'Ä', 'a'), 'Å', 'a'), 'Ā', 'a');
--> statement-breakpoint
UPDATE users SET search_name = replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(search_name, 'Ă', 'a'), 'Ą', 'a'), 'ç', 'c'), 'ć', 'c'), 'ĉ', 'c'), 'ċ', 'c'), 'č', 'c'), 'Ç', 'c'), 'Ć', 'c'), 'Ĉ', 'c'), 'Ċ', 'c'), 'Č', 'c'), 'ď', 'd'), 'đ', 'd'), 'Ď', 'd'), 'Đ', 'd'), search_name_rev = replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(search_name_rev, 'Ă', 'a'), 'Ą', 'a'), 'ç', 'c'), 'ć', 'c'), 'ĉ', 'c'), 'ċ', 'c'), 'č', 'c'), 'Ç', 'c'), 'Ć', 'c'), 'Ĉ', 'c'), 'Ċ', 'c'), 'Č', 'c'), 'ď', 'd'), 'đ', 'd'), 'Ď', 'd'), 'Đ', 'd');
--> statement-breakpoint
UPDATE users SET search_name = replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(search_name, 'è', 'e'), 'é', 'e'), 'ê', 'e'), 'ë', 'e'), 'ē', 'e'), 'ĕ', 'e'), 'ė', 'e'), 'ę', 'e'), 'ě', 'e'), 'È', 'e'), 'É', 'e'), 'Ê', 'e'), 'Ë', 'e'), 'Ē', 'e'), 'Ĕ', 'e'), 'Ė', 'e'), search_name_rev = replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(search_name_rev, 'è', 'e'), 'é', 'e'), 'ê', 'e'), 'ë', 'e'), 'ē', 'e'), 'ĕ', 'e'), 'ė', 'e'), 'ę', 'e'), 'ě', 'e'), 'È', 'e'), 'É', 'e'), 'Ê', 'e'), 'Ë', 'e'), 'Ē', 'e'), 'Ĕ', 'e'), 'Ė', 'e');
--> statement-breakpoint
UPDATE users SET search_name = replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(search_name, 'Ę', 'e'), 'Ě', 'e'), 'ĝ', 'g'), 'ğ', 'g'), 'ġ', 'g'), 'ģ', 'g'), 'Ĝ', 'g'), 'Ğ', 'g'), 'Ġ', 'g'), 'Ģ', 'g'), 'ĥ', 'h'), 'ħ', 'h'), 'Ĥ', 'h'), 'Ħ', 'h'), 'ì', 'i'), 'í', 'i'), search_name_rev = replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(search_name_rev, 'Ę', 'e'), 'Ě', 'e'), 'ĝ', 'g'), 'ğ', 'g'), 'ġ', 'g'), 'ģ', 'g'), 'Ĝ', 'g'), 'Ğ', 'g'), 'Ġ', 'g'), 'Ģ', 'g'), 'ĥ', 'h'), 'ħ', 'h'), 'Ĥ', 'h'), 'Ħ', 'h'), 'ì', 'i'), 'í', 'i');
--> statement-breakpoint
UPDATE users SET search_name = replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(search_name, 'î', 'i'), 'ï', 'i'), 'ĩ', 'i'), 'ī', 'i'), 'ĭ', 'i'), 'į', 'i'), 'ı', 'i'), 'Ì', 'i'), 'Í', 'i'), 'Î', 'i'), 'Ï', 'i'), 'Ĩ', 'i'), 'Ī', 'i'), 'Ĭ', 'i'), 'Į', 'i'), 'İ', 'i'), search_name_rev = replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(search_name_rev, 'î', 'i'), 'ï', 'i'), 'ĩ', 'i'), 'ī', 'i'), 'ĭ', 'i'), 'į', 'i'), 'ı', 'i'), 'Ì', 'i'), 'Í', 'i'), 'Î', 'i'), 'Ï', 'i'), 'Ĩ', 'i'), 'Ī', 'i'), 'Ĭ', 'i'), 'Į', 'i'), 'İ', 'i');
--> statement-breakpoint
UPDATE users SET search_name = replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(search_name, 'ñ', 'n'), 'ń', 'n'), 'ņ', 'n'), 'ň', 'n'), 'Ñ', 'n'), 'Ń', 'n'), 'Ņ', 'n'), 'Ň', 'n'), 'ò', 'o'), 'ó', 'o'), 'ô', 'o'), 'õ', 'o'), 'ö', 'o'), 'ø', 'o'), 'ō', 'o'), 'ŏ', 'o'), search_name_rev = replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(search_name_rev, 'ñ', 'n'), 'ń', 'n'), 'ņ', 'n'), 'ň', 'n'), 'Ñ', 'n'), 'Ń', 'n'), 'Ņ', 'n'), 'Ň', 'n'), 'ò', 'o'), 'ó', 'o'), 'ô', 'o'), 'õ', 'o'), 'ö', 'o'), 'ø', 'o'), 'ō', 'o'), 'ŏ', 'o');
--> statement-breakpoint
UPDATE users SET search_name = replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(search_name, 'ő', 'o'), 'Ò', 'o'), 'Ó', 'o'), 'Ô', 'o'), 'Õ', 'o'), 'Ö', 'o'), 'Ø', 'o'), 'Ō', 'o'), 'Ŏ', 'o'), 'Ő', 'o'), 'ś', 's'), 'ŝ', 's'), 'ş', 's'), 'š', 's'), 'Ś', 's'), 'Ŝ', 's'), search_name_rev = replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(search_name_rev, 'ő', 'o'), 'Ò', 'o'), 'Ó', 'o'), 'Ô', 'o'), 'Õ', 'o'), 'Ö', 'o'), 'Ø', 'o'), 'Ō', 'o'), 'Ŏ', 'o'), 'Ő', 'o'), 'ś', 's'), 'ŝ', 's'), 'ş', 's'), 'š', 's'), 'Ś', 's'), 'Ŝ', 's');
--> statement-breakpoint
UPDATE users SET search_name = replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(search_name, 'Ş', 's'), 'Š', 's'), 'ţ', 't'), 'ť', 't'), 'ŧ', 't'), 'Ţ', 't'), 'Ť', 't'), 'Ŧ', 't'), 'ù', 'u'), 'ú', 'u'), 'û', 'u'), 'ü', 'u'), 'ũ', 'u'), 'ū', 'u'), 'ŭ', 'u'), 'ů', 'u'), search_name_rev = replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(search_name_rev, 'Ş', 's'), 'Š', 's'), 'ţ', 't'), 'ť', 't'), 'ŧ', 't'), 'Ţ', 't'), 'Ť', 't'), 'Ŧ', 't'), 'ù', 'u'), 'ú', 'u'), 'û', 'u'), 'ü', 'u'), 'ũ', 'u'), 'ū', 'u'), 'ŭ', 'u'), 'ů', 'u');
--> statement-breakpoint
UPDATE users SET search_name = replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(search_name, 'ű', 'u'), 'ų', 'u'), 'Ù', 'u'), 'Ú', 'u'), 'Û', 'u'), 'Ü', 'u'), 'Ũ', 'u'), 'Ū', 'u'), 'Ŭ', 'u'), 'Ů', 'u'), 'Ű', 'u'), 'Ų', 'u'), 'ý', 'y'), 'ÿ', 'y'), 'ŷ', 'y'), 'Ý', 'y'), search_name_rev = replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(search_name_rev, 'ű', 'u'), 'ų', 'u'), 'Ù', 'u'), 'Ú', 'u'), 'Û', 'u'), 'Ü', 'u'), 'Ũ', 'u'), 'Ū', 'u'), 'Ŭ', 'u'), 'Ů', 'u'), 'Ű', 'u'), 'Ų', 'u'), 'ý', 'y'), 'ÿ', 'y'), 'ŷ', 'y'), 'Ý', 'y');
--> statement-breakpoint
UPDATE users SET search_name = replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(search_name, 'Ÿ', 'y'), 'Ŷ', 'y'), 'ź', 'z'), 'ż', 'z'), 'ž', 'z'), 'Ź', 'z'), 'Ż', 'z'), 'Ž', 'z'), 'æ', 'ae'), 'Æ', 'ae'), 'œ', 'oe'), 'Œ', 'oe'), 'ß', 'ss'), '''', ''), '’', ''), '-', ' '), search_name_rev = replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(search_name_rev, 'Ÿ', 'y'), 'Ŷ', 'y'), 'ź', 'z'), 'ż', 'z'), 'ž', 'z'), 'Ź', 'z'), 'Ż', 'z'), 'Ž', 'z'), 'æ', 'ae'), 'Æ', 'ae'), 'œ', 'oe'), 'Œ', 'oe'), 'ß', 'ss'), '''', ''), '’', ''), '-', ' ');
--> statement-breakpoint
UPDATE users SET search_name = trim(replace(replace(lower(search_name), '  ', ' '), '  ', ' ')), search_name_rev = trim(replace(replace(lower(search_name_rev), '  ', ' '), '  ', ' '));
--> statement-breakpoint
UPDATE access_rights SET (holder_name_key, holder_name_key_rev) = (SELECT search_name, search_name_rev FROM users WHERE id = access_rights.user_id);
--> statement-breakpoint
UPDATE tickets SET (buyer_name_key, buyer_name_key_rev) = (coalesce((SELECT search_name FROM users WHERE id = tickets.user_id), ''), coalesce((SELECT search_name_rev FROM users WHERE id = tickets.user_id), ''));
--> statement-breakpoint
-- Rights sold before D1 knew their configuration: their order's.
UPDATE access_rights SET config_id = (SELECT event_ticket_config_id FROM tickets WHERE id = access_rights.source_id) WHERE config_id IS NULL AND source_type = 'TICKET';
--> statement-breakpoint
UPDATE payments SET event_id = (SELECT event_id FROM tickets WHERE id = payments.ticket_id) WHERE event_id IS NULL AND ticket_id IS NOT NULL;
--> statement-breakpoint
UPDATE payments SET event_id = (SELECT o.event_id FROM payments o WHERE o.id = payments.original_payment_id) WHERE event_id IS NULL AND original_payment_id IS NOT NULL;
--> statement-breakpoint
UPDATE refunds SET event_id = (SELECT event_id FROM payments WHERE id = refunds.payment_id) WHERE event_id IS NULL;
--> statement-breakpoint
INSERT INTO report_sales (event_id, day, config_id, channel, pricing_rule_id, unit_price, currency, orders, units, gross, discount, net)
SELECT event_id, substr(coalesce(confirmed_at, created_at), 1, 10), coalesce(event_ticket_config_id, ''), purchase_channel, coalesce(pricing_rule_id, ''), unit_price, currency,
	count(*), sum(quantity), sum(total_price + discount_amount), sum(discount_amount), sum(total_price)
FROM tickets WHERE booking_status IN ('CONFIRMED', 'COMPLETED') GROUP BY 1, 2, 3, 4, 5, 6, 7;
--> statement-breakpoint
INSERT INTO report_rights (event_id, source_type, config_id, zone_id, plan_id, status, entered, rights)
SELECT event_id, source_type, coalesce(config_id, ''), coalesce(zone_id, ''),
	CASE WHEN source_type = 'SUBSCRIPTION' THEN coalesce((SELECT subscription_plan_id FROM subscriptions WHERE id = access_rights.source_id), '') ELSE '' END,
	status, entry_count > 0, count(*)
FROM access_rights GROUP BY 1, 2, 3, 4, 5, 6, 7;
--> statement-breakpoint
INSERT INTO report_scans (event_id, bucket, access_point_id, zone_id, action, status, denial_reason, is_conflict, scan_method, scans)
SELECT event_id, substr(timestamp, 1, 14) || printf('%02d', (CAST(substr(timestamp, 15, 2) AS INTEGER) / 15) * 15) || ':00.000Z', access_point_id, coalesce(zone_id, ''), action, status, coalesce(denial_reason, ''), is_conflict, scan_method, count(*)
FROM access_control_log GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9;
--> statement-breakpoint
INSERT INTO report_commissions (event_id, organization_id, currency, status, commission_type, commissions, base_amount, commission_amount)
SELECT coalesce(event_id, ''), coalesce(organization_id, ''), currency, status, commission_type, count(*), sum(base_amount), sum(commission_amount) FROM commissions GROUP BY 1, 2, 3, 4, 5;
--> statement-breakpoint
INSERT INTO report_refunds (event_id, currency, status, reason, refunds, amount)
SELECT coalesce(event_id, ''), currency, status, reason, count(*), sum(amount) FROM refunds GROUP BY 1, 2, 3, 4;
--> statement-breakpoint
INSERT INTO report_payments (day, currency, provider, method, type, country, organization_id, payments, amount, fees, refunded_amount)
SELECT substr(coalesce(paid_at, updated_at), 1, 10), currency, provider, method, type, coalesce(CASE payments.type
	WHEN 'TICKET' THEN (SELECT v.country FROM tickets t JOIN events e ON e.id = t.event_id JOIN venues v ON v.id = e.venue_id WHERE t.id = payments.ticket_id)
	WHEN 'SEASON_PASS' THEN (SELECT v.country FROM subscriptions s JOIN events e ON e.id IN (
			SELECT pe.event_id FROM subscription_plan_events pe WHERE pe.subscription_plan_id = s.subscription_plan_id
			UNION ALL SELECT ge.id FROM subscription_plan_event_groups pg JOIN events ge ON ge.event_group_id = pg.event_group_id WHERE pg.subscription_plan_id = s.subscription_plan_id)
		JOIN venues v ON v.id = e.venue_id WHERE s.id = payments.subscription_id ORDER BY e.starts_at LIMIT 1)
END, ''), coalesce(CASE payments.type
	WHEN 'TICKET' THEN (SELECT e.organization_id FROM tickets t JOIN events e ON e.id = t.event_id WHERE t.id = payments.ticket_id)
	WHEN 'SEASON_PASS' THEN (SELECT p.organization_id FROM subscriptions s JOIN subscription_plans p ON p.id = s.subscription_plan_id WHERE s.id = payments.subscription_id)
	WHEN 'ORGANIZER_PLAN' THEN (SELECT o.organization_id FROM organizer_subscriptions o WHERE o.id = payments.organizer_subscription_id)
END, ''),
	count(*), sum(amount), sum(fees), sum(refunded_amount)
FROM payments WHERE payments.type <> 'REFUND' AND payments.status IN ('PAID', 'PARTIALLY_REFUNDED', 'REFUNDED') GROUP BY 1, 2, 3, 4, 5, 6, 7;
