import { useState } from "react";
import { api, call, type Schemas } from "../../api/client.ts";
import { setSearch, useLocation } from "../../app/router.tsx";
import { useI18n } from "../../i18n/index.tsx";
import { LANGUAGE_CODES, NOTIFICATION_CHANNELS } from "../../ui/enums.ts";
import { CheckboxField, Form, TextArea, TextField, nullable, useForm, type FormState, type Values } from "../../ui/form.tsx";
import { Badge, DataTable, Dialog, ErrorNotice, Page, useAction, useAnnouncer, useLoad } from "../../ui/kit.tsx";

type Template = Schemas["NotificationTemplate"];
type Preview = Schemas["NotificationTemplatePreview"];
type Channel = (typeof NOTIFICATION_CHANNELS)[number];

/**
 * The messages people receive, one template per type and language: their
 * texts per channel with `{variables}`, which channels they use, previewed as
 * each channel would show them before saving, and reset to the default.
 */
export default function NotificationTemplates() {
  const { t, dateTime } = useI18n();
  const { search } = useLocation();
  const language = (search.get("language") ?? "fr") as (typeof LANGUAGE_CODES)[number];
  const list = useLoad(() => call(() => api.GET("/v1/admin/notification-templates", { params: { query: { language } } })), [language]);
  const [editing, setEditing] = useState<Template | null>(null);
  const [announcement, announce] = useAnnouncer();
  return (
    <Page title={t("templates.title")} lead={<p>{t("templates.lead")}</p>}>
      {announcement}
      <div className="toolbar">
        <label className="field">
          <span>{t("common.language")}</span>
          <select value={language} onChange={(e) => setSearch({ language: e.target.value })}>
            {LANGUAGE_CODES.map((code) => (
              <option key={code} value={code}>
                {t(`language.${code}`)}
              </option>
            ))}
          </select>
        </label>
      </div>
      <ErrorNotice error={list.error} />
      <DataTable
        caption={t("templates.title")}
        rows={list.data?.data ?? []}
        rowKey={(row) => row.id}
        paged={{ hasMore: false, more: () => undefined, loading: list.loading }}
        columns={[
          { header: t("common.type"), cell: (row) => <code>{row.notification_type}</code> },
          { header: t("common.name"), cell: (row) => row.name },
          { header: t("templates.channels"), cell: (row) => row.active_channels.map((c) => t(`channel.${c}`)).join(", ") || "—" },
          { header: t("common.status"), cell: (row) => (row.is_active ? <Badge tone="ok">{t("common.active")}</Badge> : <Badge tone="bad">{t("userGroups.inactive")}</Badge>) },
          { header: t("templates.updated"), cell: (row) => dateTime(row.updated_at) },
          {
            header: t("common.actions"),
            cell: (row) => (
              <button type="button" className="small" onClick={() => setEditing(row)} aria-label={t("templates.editOne", { name: row.name })}>
                {t("common.edit")}
              </button>
            ),
          },
        ]}
      />
      <Dialog open={editing !== null} onClose={() => setEditing(null)} title={editing ? t("templates.editOne", { name: editing.name }) : ""}>
        {editing && (
          <TemplateForm
            template={editing}
            onDone={(text) => {
              setEditing(null);
              announce(text);
              list.reload();
            }}
          />
        )}
      </Dialog>
    </Page>
  );
}

const channelField = (channel: Channel) => `channel_${channel}`;

function contentOf<V extends Values>(form: FormState<V>) {
  const v = form.values as Values;
  return {
    name: String(v.name),
    description: nullable(v.description),
    email_subject: String(v.email_subject),
    email_body_html: String(v.email_body_html),
    push_title: String(v.push_title),
    push_body: String(v.push_body),
    sms_body: nullable(v.sms_body),
    in_app_body: String(v.in_app_body),
    active_channels: NOTIFICATION_CHANNELS.filter((c) => v[channelField(c)] === true),
    is_active: Boolean(v.is_active),
  };
}

function TemplateForm({ template, onDone }: { template: Template; onDone: (text: string) => void }) {
  const { t } = useI18n();
  const path = { notification_type: template.notification_type, language: template.language };
  const form = useForm<Values>({
    name: template.name,
    description: template.description ?? "",
    email_subject: template.email_subject ?? "",
    email_body_html: template.email_body_html ?? "",
    push_title: template.push_title ?? "",
    push_body: template.push_body ?? "",
    sms_body: template.sms_body ?? "",
    in_app_body: template.in_app_body ?? "",
    is_active: template.is_active,
    ...Object.fromEntries(NOTIFICATION_CHANNELS.map((c) => [channelField(c), template.active_channels.includes(c)])),
  });
  const [preview, setPreview] = useState<Preview | null>(null);
  const action = useAction();
  return (
    <>
      {template.available_variables && <p className="field-hint">{t("templates.variables", { names: template.available_variables.map((name) => `{${name}}`).join(" ") })}</p>}
      <Form
        form={form}
        submitLabel={t("common.save")}
        extraActions={
          <>
            <button
              type="button"
              disabled={action.busy}
              onClick={() =>
                void action.run(async () => {
                  setPreview(null);
                  try {
                    setPreview(await call(() => api.POST("/v1/admin/notification-templates/{notification_type}/{language}/preview", { params: { path }, body: { content: contentOf(form) } })));
                  } catch (error) {
                    // The preview validates like a save: its problems go beside the fields.
                    form.fail(error);
                  }
                })
              }
            >
              {t("templates.preview")}
            </button>
            <button
              type="button"
              className="danger"
              disabled={action.busy}
              onClick={() =>
                void action.run(async () => {
                  await call(() => api.POST("/v1/admin/notification-templates/{notification_type}/{language}/reset", { params: { path } }));
                  onDone(t("templates.resetDone"));
                })
              }
            >
              {t("templates.reset")}
            </button>
          </>
        }
        onSubmit={async () => {
          await call(() => api.PUT("/v1/admin/notification-templates/{notification_type}/{language}", { params: { path }, body: contentOf(form) }));
          onDone(t("common.saved"));
        }}
      >
        <TextField form={form} name="name" label={t("common.name")} required />
        <fieldset className="field">
          <legend>{t("templates.channels")}</legend>
          {NOTIFICATION_CHANNELS.map((c) => (
            <CheckboxField key={c} form={form} name={channelField(c)} label={t(`channel.${c}`)} />
          ))}
        </fieldset>
        <TextField form={form} name="email_subject" label={t("templates.emailSubject")} />
        <TextArea form={form} name="email_body_html" label={t("templates.emailBody")} rows={6} />
        <div className="form-grid">
          <TextField form={form} name="push_title" label={t("templates.pushTitle")} />
          <TextField form={form} name="push_body" label={t("templates.pushBody")} />
        </div>
        <TextField form={form} name="sms_body" label={t("templates.sms")} hint={t("templates.smsHint")} />
        <TextArea form={form} name="in_app_body" label={t("templates.inApp")} />
        <CheckboxField form={form} name="is_active" label={t("common.active")} />
      </Form>
      <ErrorNotice error={action.error} />
      {preview && (
        <section className="card" aria-label={t("templates.preview")} data-testid="template-preview">
          <h3>{t("templates.preview")}</h3>
          <dl className="facts">
            <dt>{t("templates.emailSubject")}</dt>
            <dd>{preview.email.subject}</dd>
            <dt>{t("templates.emailText")}</dt>
            <dd className="pre">{preview.email.text}</dd>
            <dt>{t("channel.PUSH")}</dt>
            <dd>
              {preview.push.title} — {preview.push.body}
            </dd>
            <dt>{t("channel.SMS")}</dt>
            <dd>{preview.sms ?? "—"}</dd>
            <dt>{t("channel.IN_APP")}</dt>
            <dd>
              {preview.in_app.title} — {preview.in_app.message}
            </dd>
          </dl>
        </section>
      )}
    </>
  );
}
