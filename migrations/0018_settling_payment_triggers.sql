-- Hand-written (drizzle-kit generates no triggers): the integrity of the settling-payment links, tickets.payment_id and
-- subscriptions.payment_id, which lost their foreign key in 0017_settling_payment_links.sql so that the table files
-- (src/orders/schema.ts, src/passes/schema.ts, src/payments/schema.ts) import no cycle. The payment still names what it
-- pays for with foreign keys (payments.ticket_id, payments.subscription_id); these triggers do what the dropped keys did:
-- a link to a payment that does not exist is refused (the message keeps SQLite's "FOREIGN KEY constraint failed", which
-- src/db/errors.ts recognizes), a payment referenced by a link keeps its id (ON UPDATE NO ACTION), and deleting a payment
-- nulls the links (ON DELETE SET NULL). AFTER triggers, so that, as a foreign key, they judge the row actually written: an
-- upsert that turns into an update is checked by the UPDATE trigger, and one whose update is skipped is not checked.
-- A later rebuild of tickets, subscriptions or payments must drop these triggers first (SQLite refuses to rename a rebuilt
-- table while a trigger names a table that is gone) and recreate them after it, as 0017 does with 0013's.
CREATE TRIGGER `tickets_payment_exists_insert` AFTER INSERT ON tickets
	WHEN new.payment_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM payments WHERE id = new.payment_id) BEGIN
	SELECT RAISE(ABORT, 'FOREIGN KEY constraint failed: tickets.payment_id names no payment');
END;
--> statement-breakpoint
CREATE TRIGGER `tickets_payment_exists_update` AFTER UPDATE OF payment_id ON tickets
	WHEN new.payment_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM payments WHERE id = new.payment_id) BEGIN
	SELECT RAISE(ABORT, 'FOREIGN KEY constraint failed: tickets.payment_id names no payment');
END;
--> statement-breakpoint
CREATE TRIGGER `subscriptions_payment_exists_insert` AFTER INSERT ON subscriptions
	WHEN new.payment_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM payments WHERE id = new.payment_id) BEGIN
	SELECT RAISE(ABORT, 'FOREIGN KEY constraint failed: subscriptions.payment_id names no payment');
END;
--> statement-breakpoint
CREATE TRIGGER `subscriptions_payment_exists_update` AFTER UPDATE OF payment_id ON subscriptions
	WHEN new.payment_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM payments WHERE id = new.payment_id) BEGIN
	SELECT RAISE(ABORT, 'FOREIGN KEY constraint failed: subscriptions.payment_id names no payment');
END;
--> statement-breakpoint
CREATE TRIGGER `payments_settling_id_update` AFTER UPDATE OF id ON payments
	WHEN old.id IS NOT new.id AND (EXISTS (SELECT 1 FROM tickets WHERE payment_id = old.id) OR EXISTS (SELECT 1 FROM subscriptions WHERE payment_id = old.id)) BEGIN
	SELECT RAISE(ABORT, 'FOREIGN KEY constraint failed: the payment settles an order or a pass');
END;
--> statement-breakpoint
CREATE TRIGGER `payments_settling_delete` AFTER DELETE ON payments BEGIN
	UPDATE tickets SET payment_id = NULL WHERE payment_id = old.id;
	UPDATE subscriptions SET payment_id = NULL WHERE payment_id = old.id;
END;
