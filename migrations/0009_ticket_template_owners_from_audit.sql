-- Hand-written data migration (drizzle-kit cannot generate it): ticket templates had no owner
-- column, and their owner was read from the audit log at every request: the actor of the
-- template's audited CREATE, a template being the platform's when that actor's *current* role
-- was ADMIN or when it had no such entry (seeded). 0008 added `organizer_id`; this fills it once
-- with that same owner, as the roles stand now, and from then on a role change moves no template.
UPDATE ticket_templates SET organizer_id = (
  SELECT a.user_id FROM audit_log a JOIN users u ON u.id = a.user_id
  WHERE a.object_type = 'ticket_templates' AND a.object_id = ticket_templates.id AND a.action = 'CREATE' AND u.role <> 'ADMIN'
  ORDER BY a.created_at, a.id LIMIT 1
)
WHERE organizer_id IS NULL;
