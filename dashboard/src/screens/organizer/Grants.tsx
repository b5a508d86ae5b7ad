import { api, call, type Schemas } from "../../api/client.ts";
import type { ScreenProps } from "../../app/routes.tsx";
import { useI18n } from "../../i18n/index.tsx";
import { Form, optional, SelectField, TextArea, useForm } from "../../ui/form.tsx";
import { DataTable, ErrorNotice, Loading, Page, Section, useAction, useAnnouncer, useLoad, usePaged } from "../../ui/kit.tsx";
import { EventTabs, useEvent } from "./EventTabs.tsx";

type GrantType = Schemas["GrantRequest"]["source_type"];
const TYPES: GrantType[] = ["COMP", "STAFF", "MEDIA", "PARTNER"];

/** One holder per line: an email, a phone (+216…) or an account id. */
function holdersOf(text: string): Schemas["GrantRequest"]["holders"] {
  return text
    .split(/\n|,/)
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line) => (line.includes("@") ? { email: line } : line.startsWith("+") ? { phone: line } : { user_id: line }));
}

export default function Grants({ params }: ScreenProps) {
  const { t, dateTime } = useI18n();
  const eventId = params.event_id!;
  const path = { event_id: eventId };
  const event = useEvent(eventId);
  const configs = useLoad(() => call(() => api.GET("/v1/events/{event_id}/ticket-configs", { params: { path, query: { limit: 100 } } })), [eventId]);
  const list = usePaged((cursor) => call(() => api.GET("/v1/events/{event_id}/grants", { params: { path, query: { cursor, limit: 50 } } })), [eventId]);
  const form = useForm({ source_type: "COMP", config_id: "", holders: "" });
  const [announcement, announce] = useAnnouncer();
  const action = useAction();
  if (event.error) return <ErrorNotice error={event.error} />;
  if (!event.data) return <Loading />;
  return (
    <Page title={t("grants.title", { title: event.data.title })} lead={t("grants.lead")}>
      <EventTabs eventId={eventId} />
      {announcement}
      <Section title={t("grants.new")}>
        <Form
          form={form}
          submitLabel={t("grants.issue")}
          onSubmit={async (v) => {
            const config = optional(v.config_id);
            const grant = await call(() =>
              api.POST("/v1/events/{event_id}/grants", { params: { path }, body: { source_type: v.source_type as GrantType, ...(config ? { config_id: config } : {}), holders: holdersOf(String(v.holders)) } }),
            );
            form.reset({ source_type: v.source_type, config_id: v.config_id, holders: "" });
            announce(t("grants.issued", { count: grant.access_rights.length }));
            list.reload();
          }}
        >
          <div className="form-grid">
            <SelectField form={form} name="source_type" label={t("common.type")} options={TYPES.map((value) => ({ value, label: t(`grantType.${value}`) }))} />
            <SelectField
              form={form}
              name="config_id"
              label={t("grants.fromInventory")}
              empty={t("grants.outsideInventory")}
              options={(configs.data?.data ?? []).map((c) => ({ value: c.id, label: c.ticket_type.code }))}
            />
          </div>
          <TextArea form={form} name="holders" label={t("grants.holders")} hint={t("grants.holdersHint")} required />
        </Form>
      </Section>
      <ErrorNotice error={list.error ?? action.error} />
      <DataTable
        caption={t("grants.title", { title: event.data.title })}
        rows={list.rows}
        rowKey={(row) => row.grant_id}
        paged={list}
        columns={[
          { header: t("common.type"), cell: (row) => t(`grantType.${row.source_type}`) },
          { header: t("grants.rights"), numeric: true, cell: (row) => row.rights },
          { header: t("grants.used"), numeric: true, cell: (row) => row.used },
          { header: t("grants.cancelled"), numeric: true, cell: (row) => row.cancelled },
          { header: t("common.created"), cell: (row) => dateTime(row.created_at) },
          {
            header: t("common.actions"),
            cell: (row) =>
              row.cancelled < row.rights ? (
                <button
                  type="button"
                  className="small danger"
                  disabled={action.busy}
                  onClick={() =>
                    void action.run(async () => {
                      await call(() => api.POST("/v1/events/{event_id}/grants/{grant_id}/cancel", { params: { path: { event_id: eventId, grant_id: row.grant_id } }, body: { reason: t("grants.cancelReason") } }));
                      list.reload();
                    })
                  }
                >
                  {t("grants.cancel")}
                </button>
              ) : null,
          },
        ]}
      />
    </Page>
  );
}
