-- Hand-written data migration, apart from the generated ones.
-- Before 0009, message_deliveries only recorded rendered messages: nothing was ever sent and every row
-- stayed PENDING. Sending them now would deliver stale codes and old news, so they are closed instead.
UPDATE `message_deliveries` SET `status` = 'SKIPPED', `error` = 'recorded before messages were sent (migration 0010)' WHERE `status` = 'PENDING';
