import { useState } from "react";
import { api, call } from "../../api/client.ts";
import { useRoles } from "../../app/access.tsx";
import { useI18n } from "../../i18n/index.tsx";
import { fromLocalInput } from "../../i18n/format.ts";
import { CAMPAIGN_AUDIENCES, NOTIFICATION_CHANNELS } from "../../ui/enums.ts";
import { CheckboxField, Form, SelectField, TextArea, TextField, optional, useForm, type Values } from "../../ui/form.tsx";
import { DataTable, Dialog, ErrorNotice, Page, StatusBadge, useAction, useAnnouncer, useLoad, usePaged } from "../../ui/kit.tsx";

type Audience = (typeof CAMPAIGN_AUDIENCES)[number];
/** Audiences an organizer may reach: their own events' people, followers and pass holders; admins reach everyone. */
const ORGANIZER_AUDIENCES: Audience[] = ["EVENT_HOLDERS", "EVENT_PARTICIPANTS", "EVENT_ATTENDEES", "FOLLOWERS", "PASS_HOLDERS"];
const needsEvent = (a: string) => a === "EVENT_HOLDERS" || a === "EVENT_PARTICIPANTS" || a === "EVENT_ATTENDEES";

/**
 * Campaigns: an announcement to an audience (an event's ticket holders,
 * followers, season-pass holders; everyone for admins), on the channels
 * chosen, now or later; then its counts as it runs, and cancelling it.
 */
export default function Campaigns() {
  const { t, dateTime, number } = useI18n();
  const roles = useRoles();
  const list = usePaged((cursor) => call(() => api.GET("/v1/campaigns", { params: { query: { cursor, limit: 50 } } })), []);
  const [creating, setCreating] = useState(false);
  const [announcement, announce] = useAnnouncer();
  const action = useAction();
  return (
    <Page
      title={t("campaigns.title")}
      lead={<p>{t("campaigns.lead")}</p>}
      actions={
        <button type="button" className="primary" onClick={() => setCreating(true)}>
          {t("campaigns.new")}
        </button>
      }
    >
      {announcement}
      <ErrorNotice error={list.error ?? action.error} />
      <DataTable
        caption={t("campaigns.title")}
        rows={list.rows}
        rowKey={(row) => row.id}
        paged={list}
        columns={[
          { header: t("common.name"), cell: (row) => row.name },
          { header: t("campaigns.audience"), cell: (row) => t(`audience.${String(row.targeting_criteria.audience)}` as `audience.${Audience}`) },
          { header: t("campaigns.when"), cell: (row) => dateTime(row.started_at ?? row.scheduled_at ?? row.created_at) },
          { header: t("common.status"), cell: (row) => <StatusBadge value={row.status} /> },
          { header: t("campaigns.targeted"), numeric: true, cell: (row) => number(row.recipient_count) },
          { header: t("campaigns.sent"), numeric: true, cell: (row) => number(row.sent_count) },
          { header: t("campaigns.failed"), numeric: true, cell: (row) => number(row.failed_count) },
          { header: t("campaigns.read"), numeric: true, cell: (row) => number(row.read_count) },
          {
            header: t("common.actions"),
            cell: (row) =>
              row.status === "SCHEDULED" || row.status === "IN_PROGRESS" ? (
                <button
                  type="button"
                  className="small danger"
                  disabled={action.busy}
                  onClick={() =>
                    void action.run(async () => {
                      await call(() => api.POST("/v1/campaigns/{campaign_id}/cancel", { params: { path: { campaign_id: row.id } } }));
                      list.reload();
                    })
                  }
                >
                  {t("common.cancel")}
                </button>
              ) : null,
          },
        ]}
      />
      <Dialog open={creating} onClose={() => setCreating(false)} title={t("campaigns.new")}>
        {creating && (
          <CampaignForm
            admin={roles.admin}
            onDone={(name) => {
              setCreating(false);
              announce(t("campaigns.created", { name }));
              list.reload();
            }}
          />
        )}
      </Dialog>
    </Page>
  );
}

function CampaignForm({ admin, onDone }: { admin: boolean; onDone: (name: string) => void }) {
  const { t } = useI18n();
  const audiences = admin ? CAMPAIGN_AUDIENCES : ORGANIZER_AUDIENCES;
  const events = useLoad(() => call(() => api.GET("/v1/me/events", { params: { query: { status: "APPROVED", limit: 100 } } })), []);
  const form = useForm<Values>({
    name: "",
    "data.title": "",
    "data.message": "",
    "targeting.audience": audiences[0]!,
    "targeting.event_id": "",
    scheduled_at: "",
    ...Object.fromEntries(NOTIFICATION_CHANNELS.map((c) => [`channel_${c}`, c === "IN_APP" || c === "PUSH"])),
  });
  const audience = String(form.values["targeting.audience"]);
  return (
    <Form
      form={form}
      submitLabel={t("campaigns.send")}
      onSubmit={async (v) => {
        const scheduled = optional(v.scheduled_at);
        const created = await call(() =>
          api.POST("/v1/campaigns", {
            body: {
              name: String(v.name),
              notification_type: "ANNOUNCEMENT",
              channels: NOTIFICATION_CHANNELS.filter((c) => v[`channel_${c}`] === true),
              data: { title: String(v["data.title"]), message: String(v["data.message"]) },
              targeting: { audience: audience as Audience, event_id: needsEvent(audience) ? optional(v["targeting.event_id"]) : undefined },
              scheduled_at: scheduled ? fromLocalInput(scheduled) : undefined,
            },
          }),
        );
        onDone(created.name);
      }}
    >
      <TextField form={form} name="name" label={t("campaigns.name")} hint={t("campaigns.nameHint")} required />
      <SelectField form={form} name="targeting.audience" label={t("campaigns.audience")} options={audiences.map((a) => ({ value: a, label: t(`audience.${a}`) }))} />
      {needsEvent(audience) && (
        <SelectField form={form} name="targeting.event_id" label={t("common.event")} empty={t("campaigns.chooseEvent")} options={(events.data?.data ?? []).map((e) => ({ value: e.id, label: e.title }))} />
      )}
      <fieldset className="field">
        <legend>{t("templates.channels")}</legend>
        {NOTIFICATION_CHANNELS.map((c) => (
          <CheckboxField key={c} form={form} name={`channel_${c}`} label={t(`channel.${c}`)} />
        ))}
      </fieldset>
      <TextField form={form} name="data.title" label={t("campaigns.messageTitle")} required />
      <TextArea form={form} name="data.message" label={t("campaigns.message")} required />
      <TextField form={form} name="scheduled_at" label={t("campaigns.scheduledAt")} type="datetime-local" hint={t("campaigns.scheduledHint")} />
    </Form>
  );
}
