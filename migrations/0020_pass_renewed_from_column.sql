-- Hand-written data fix: renewals made before subscriptions.renewed_from existed named the pass they
-- renew in metadata.renewed_from; the column (0019) now holds it, under subscriptions_renewal_unique.
UPDATE `subscriptions` SET `renewed_from` = json_extract(`metadata`, '$.renewed_from'), `metadata` = json_remove(`metadata`, '$.renewed_from')
  WHERE `renewed_from` IS NULL AND json_extract(`metadata`, '$.renewed_from') IS NOT NULL;
