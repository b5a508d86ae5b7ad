import { api, call, type Schemas } from "../../api/client.ts";
import type { ScreenProps } from "../../app/routes.tsx";
import { useI18n } from "../../i18n/index.tsx";
import { fromLocalInput } from "../../i18n/format.ts";
import { Form, optional, SelectField, TextField, useForm } from "../../ui/form.tsx";
import { Badge, DataTable, ErrorNotice, Loading, Page, Section, useAction, useAnnouncer, useLoad, usePaged } from "../../ui/kit.tsx";
import { EventTabs, useEvent } from "./EventTabs.tsx";

type Target = "access_right_id" | "ticket_id" | "subscription_id" | "user_group_id";
const TARGETS: Target[] = ["access_right_id", "ticket_id", "subscription_id", "user_group_id"];

/** Zone overrides of an event: a right, order, season pass or group let into another zone than its own. */
export default function ZoneOverrides({ params }: ScreenProps) {
  const { t, dateTime } = useI18n();
  const eventId = params.event_id!;
  const path = { event_id: eventId };
  const event = useEvent(eventId);
  const venueId = event.data?.venue_id;
  const zones = useLoad(
    () => (venueId ? call(() => api.GET("/v1/venues/{venue_id}/zones", { params: { path: { venue_id: venueId }, query: { limit: 100 } } })) : Promise.resolve({ data: [], next_cursor: null })),
    [venueId],
  );
  const list = usePaged((cursor) => call(() => api.GET("/v1/events/{event_id}/zone-overrides", { params: { path, query: { cursor, limit: 50 } } })), [eventId]);
  const form = useForm({ target: "access_right_id", target_id: "", original_zone_id: "", override_zone_id: "", reason: "", valid_until: "" });
  const [announcement, announce] = useAnnouncer();
  const action = useAction();
  if (event.error) return <ErrorNotice error={event.error} />;
  if (!event.data) return <Loading />;
  const zoneOptions = (zones.data?.data ?? []).map((z) => ({ value: z.id, label: `${z.name} (${z.code})` }));
  const zoneName = new Map((zones.data?.data ?? []).map((z) => [z.id, z.name]));
  return (
    <Page title={t("overrides.title", { title: event.data.title })}>
      <EventTabs eventId={eventId} />
      {announcement}
      <Section title={t("overrides.new")}>
        <Form
          form={form}
          submitLabel={t("common.create")}
          onSubmit={async (v) => {
            const body: Schemas["ZoneOverrideCreateRequest"] = {
              [v.target as Target]: String(v.target_id).trim(),
              original_zone_id: String(v.original_zone_id),
              override_zone_id: String(v.override_zone_id),
              reason: String(v.reason),
              ...(optional(v.valid_until) ? { valid_until: fromLocalInput(String(v.valid_until)) } : {}),
            };
            await call(() => api.POST("/v1/events/{event_id}/zone-overrides", { params: { path }, body }));
            form.reset({ target: v.target, target_id: "", original_zone_id: "", override_zone_id: "", reason: "", valid_until: "" });
            announce(t("common.saved"));
            list.reload();
          }}
        >
          <div className="form-grid">
            <SelectField form={form} name="target" label={t("overrides.target")} options={TARGETS.map((value) => ({ value, label: t(`overrides.${value}`) }))} />
            <TextField form={form} name="target_id" label={t("common.id")} required />
            <SelectField form={form} name="original_zone_id" label={t("overrides.from")} empty="—" options={zoneOptions} />
            <SelectField form={form} name="override_zone_id" label={t("overrides.to")} empty="—" options={zoneOptions} />
            <TextField form={form} name="valid_until" label={t("overrides.until")} type="datetime-local" />
          </div>
          <TextField form={form} name="reason" label={t("common.reason")} required />
        </Form>
      </Section>
      <ErrorNotice error={list.error ?? action.error} />
      <DataTable
        caption={t("overrides.title", { title: event.data.title })}
        rows={list.rows}
        rowKey={(row) => row.id}
        paged={list}
        columns={[
          { header: t("overrides.from"), cell: (row) => zoneName.get(row.original_zone_id) ?? row.original_zone_id.slice(0, 8) },
          { header: t("overrides.to"), cell: (row) => zoneName.get(row.override_zone_id) ?? row.override_zone_id.slice(0, 8) },
          { header: t("common.reason"), cell: (row) => row.reason },
          { header: t("overrides.until"), cell: (row) => dateTime(row.valid_until) },
          { header: t("common.active"), cell: (row) => (row.is_active ? <Badge tone="ok">{t("common.yes")}</Badge> : <Badge>{t("common.no")}</Badge>) },
          {
            header: t("common.actions"),
            cell: (row) => (
              <button
                type="button"
                className="small danger"
                disabled={action.busy}
                onClick={() =>
                  void action.run(async () => {
                    await call(() => api.DELETE("/v1/events/{event_id}/zone-overrides/{override_id}", { params: { path: { event_id: eventId, override_id: row.id } } }));
                    list.reload();
                  })
                }
              >
                {t("common.delete")}
              </button>
            ),
          },
        ]}
      />
    </Page>
  );
}
