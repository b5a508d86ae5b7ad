import { Link } from "../../app/router.tsx";
import { useAccess } from "../../app/access.tsx";
import { useSession } from "../../auth/session.tsx";
import { useI18n } from "../../i18n/index.tsx";
import { DataTable, Page } from "../../ui/kit.tsx";

/** The events where the account is gate staff, soonest first; supervisors open the live view. */
export default function Assignments() {
  const { t, dateTime } = useI18n();
  const { assignments } = useSession();
  const allowed = useAccess();
  const organizer = allowed("/organizer/events");
  return (
    <Page title={t("gate.assignments")} lead={organizer ? t("gate.organizerLead") : undefined}>
      <DataTable
        caption={t("gate.assignments")}
        rows={assignments}
        rowKey={(a) => a.event.id}
        empty={t("gate.noAssignments")}
        columns={[
          { header: t("event.title"), cell: (a) => (allowed(`/gate/${a.event.id}`) || a.role === "SUPERVISOR" ? <Link to={`/gate/${a.event.id}`}>{a.event.title}</Link> : a.event.title) },
          { header: t("event.startsAt"), cell: (a) => dateTime(a.event.starts_at, a.event.timezone) },
          { header: t("event.venue"), cell: (a) => a.event.venue_name },
          { header: t("common.role"), cell: (a) => t(`staffRole.${a.role}`) },
        ]}
      />
    </Page>
  );
}
