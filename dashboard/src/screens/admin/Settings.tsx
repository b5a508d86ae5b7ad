import { api, call, type Schemas } from "../../api/client.ts";
import { useI18n } from "../../i18n/index.tsx";
import { SETTING_TYPES } from "../../ui/enums.ts";
import { CheckboxField, Form, nullable, optional, SelectField, TextArea, TextField, useForm } from "../../ui/form.tsx";
import { DataTable, ErrorNotice, Page, usePaged } from "../../ui/kit.tsx";
import { RowActions, useEditor } from "../../ui/crud.tsx";

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
  const editor = useEditor<Setting>({ newLabel: t("settings.new"), onSaved: () => list.reload() });
  return (
    <Page title={t("settings.title")} actions={editor.newButton}>
      {editor.announcement}
      <ErrorNotice error={list.error ?? editor.error} />
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
              <RowActions
                onEdit={() => editor.edit(row)}
                busy={editor.busy}
                onDelete={() => editor.remove(() => call(() => api.DELETE("/v1/admin/settings/{key}", { params: { path: { key: row.key } } })))}
              />
            ),
          },
        ]}
      />
      {editor.dialog((row, saved) => (
        <SettingForm setting={row} onDone={saved} />
      ))}
    </Page>
  );
}
