import { api, call } from "../../api/client.ts";
import type { ScreenProps } from "../../app/routes.tsx";
import { useI18n } from "../../i18n/index.tsx";
import { Form, SelectField, TextField, useForm } from "../../ui/form.tsx";
import { DataTable, ErrorNotice, Loading, Page, Section, useAction, useAnnouncer, useLoad, usePaged } from "../../ui/kit.tsx";
import { EventTabs, useEvent } from "./EventTabs.tsx";
import { personName } from "../../i18n/format.ts";

/** Gate staff of an event: controllers (scan) and supervisors (also override and watch), each at a usual gate. */
export default function Staff({ params }: ScreenProps) {
  const { t, dateTime } = useI18n();
  const eventId = params.event_id!;
  const path = { event_id: eventId };
  const event = useEvent(eventId);
  const venueId = event.data?.venue_id;
  const gates = useLoad(
    () => (venueId ? call(() => api.GET("/v1/venues/{venue_id}/access-points", { params: { path: { venue_id: venueId }, query: { limit: 100 } } })) : Promise.resolve({ data: [], next_cursor: null })),
    [venueId],
  );
  const list = usePaged((cursor) => call(() => api.GET("/v1/events/{event_id}/staff", { params: { path, query: { cursor, limit: 100 } } })), [eventId]);
  const form = useForm({ email: "", role: "CONTROLLER", access_point_id: "" });
  const [announcement, announce] = useAnnouncer();
  const action = useAction();
  if (event.error) return <ErrorNotice error={event.error} />;
  if (!event.data) return <Loading />;
  const gateName = new Map((gates.data?.data ?? []).map((g) => [g.id, g.name]));
  return (
    <Page title={t("staff.title", { title: event.data.title })}>
      <EventTabs eventId={eventId} />
      {announcement}
      <Section title={t("staff.assign")}>
        <Form
          form={form}
          submitLabel={t("staff.assign")}
          onSubmit={async (v) => {
            await call(() =>
              api.POST("/v1/events/{event_id}/staff", {
                params: { path },
                body: { email: String(v.email).trim(), role: v.role as "CONTROLLER" | "SUPERVISOR", access_point_id: String(v.access_point_id) || null },
              }),
            );
            form.reset({ email: "", role: "CONTROLLER", access_point_id: "" });
            announce(t("common.saved"));
            list.reload();
          }}
        >
          <div className="form-grid">
            <TextField form={form} name="email" label={t("common.email")} type="email" required />
            <SelectField form={form} name="role" label={t("common.role")} options={(["CONTROLLER", "SUPERVISOR"] as const).map((value) => ({ value, label: t(`staffRole.${value}`) }))} />
            <SelectField form={form} name="access_point_id" label={t("staff.gate")} empty={t("staff.anyGate")} options={(gates.data?.data ?? []).map((g) => ({ value: g.id, label: g.name }))} />
          </div>
        </Form>
      </Section>
      <ErrorNotice error={list.error ?? action.error} />
      <DataTable
        caption={t("staff.title", { title: event.data.title })}
        rows={list.rows}
        rowKey={(row) => row.id}
        paged={list}
        columns={[
          { header: t("common.name"), cell: (row) => personName(row.user) },
          { header: t("common.email"), cell: (row) => row.user.email },
          { header: t("common.role"), cell: (row) => t(`staffRole.${row.role}`) },
          { header: t("staff.gate"), cell: (row) => (row.access_point_id ? (gateName.get(row.access_point_id) ?? row.access_point_id.slice(0, 8)) : t("staff.anyGate")) },
          { header: t("common.created"), cell: (row) => dateTime(row.created_at) },
          {
            header: t("common.actions"),
            cell: (row) => (
              <button
                type="button"
                className="small danger"
                disabled={action.busy}
                onClick={() =>
                  void action.run(async () => {
                    await call(() => api.DELETE("/v1/events/{event_id}/staff/{user_id}", { params: { path: { event_id: eventId, user_id: row.user.id } } }));
                    list.reload();
                  })
                }
              >
                {t("staff.remove")}
              </button>
            ),
          },
        ]}
      />
    </Page>
  );
}
