import { useState } from "react";
import { api, call, type Schemas } from "../../api/client.ts";
import { useI18n } from "../../i18n/index.tsx";
import { SETTING_TYPES } from "../../ui/enums.ts";
import { CheckboxField, Form, nullable, optional, SelectField, TextArea, TextField, useForm } from "../../ui/form.tsx";
import { DataTable, Dialog, ErrorNotice, Page, useAction, useAnnouncer, usePaged } from "../../ui/kit.tsx";

type Setting = Schemas["Setting"];

function SettingForm({ setting, onDone }: { setting: Setting | null; onDone: () => void }) {
  const { t } = useI18n();
  const form = useForm({
    key: setting?.key ?? "",
    value: setting?.value ?? "",
    value_type: setting?.value_type ?? "STRING",
    description: setting?.description ?? "",
    category: setting?.category ?? "",
    is_editable: setting?.is_editable ?? true,
  });
  return (
    <Form
      form={form}
      submitLabel={setting ? t("common.save") : t("common.create")}
      onSubmit={async (v) => {
        const common = { value: String(v.value), value_type: v.value_type as Setting["value_type"], description: nullable(v.description), is_editable: Boolean(v.is_editable) };
        if (setting) await call(() => api.PATCH("/v1/admin/settings/{key}", { params: { path: { key: setting.key } }, body: { ...common, ...(optional(v.category) ? { category: String(v.category).trim() } : {}) } }));
        else await call(() => api.POST("/v1/admin/settings", { body: { key: String(v.key).trim(), ...common, ...(optional(v.category) ? { category: String(v.category).trim() } : {}) } }));
        onDone();
      }}
    >
      {!setting && <TextField form={form} name="key" label={t("settings.key")} required />}
      <SelectField form={form} name="value_type" label={t("common.type")} options={SETTING_TYPES.map((value) => ({ value, label: value }))} />
      <TextArea form={form} name="value" label={t("settings.value")} rows={3} />
      <TextField form={form} name="category" label={t("common.category")} />
      <TextField form={form} name="description" label={t("common.description")} />
      <CheckboxField form={form} name="is_editable" label={t("settings.editable")} />
    </Form>
  );
}

export default function Settings() {
  const { t, dateTime } = useI18n();
  const list = usePaged((cursor) => call(() => api.GET("/v1/admin/settings", { params: { query: { cursor, limit: 100 } } })), []);
  const [editing, setEditing] = useState<Setting | "new" | null>(null);
  const [announcement, announce] = useAnnouncer();
  const action = useAction();
  const done = () => {
    setEditing(null);
    announce(t("common.saved"));
    list.reload();
  };
  return (
    <Page title={t("settings.title")} actions={<button type="button" className="primary" onClick={() => setEditing("new")}>{t("settings.new")}</button>}>
      {announcement}
      <ErrorNotice error={list.error ?? action.error} />
      <DataTable
        caption={t("settings.title")}
        rows={list.rows}
        rowKey={(row) => row.id}
        paged={list}
        columns={[
          { header: t("settings.key"), cell: (row) => <code>{row.key}</code> },
          { header: t("settings.value"), cell: (row) => row.value },
          { header: t("common.type"), cell: (row) => row.value_type },
          { header: t("common.category"), cell: (row) => row.category },
          { header: t("common.description"), cell: (row) => row.description ?? "—" },
          { header: t("moderation.updated"), cell: (row) => dateTime(row.updated_at) },
          {
            header: t("common.actions"),
            cell: (row) => (
              <div className="row-actions">
                <button type="button" className="small" onClick={() => setEditing(row)}>
                  {t("common.edit")}
                </button>
                <button
                  type="button"
                  className="small danger"
                  disabled={action.busy}
                  onClick={() =>
                    confirm(t("common.confirmDelete")) &&
                    void action.run(async () => {
                      await call(() => api.DELETE("/v1/admin/settings/{key}", { params: { path: { key: row.key } } }));
                      list.reload();
                    })
                  }
                >
                  {t("common.delete")}
                </button>
              </div>
            ),
          },
        ]}
      />
      <Dialog open={editing !== null} onClose={() => setEditing(null)} title={editing === "new" ? t("settings.new") : t("common.edit")}>
        {editing && <SettingForm setting={editing === "new" ? null : editing} onDone={done} />}
      </Dialog>
    </Page>
  );
}
