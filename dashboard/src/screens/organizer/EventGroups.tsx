import { api, call, type Schemas } from "../../api/client.ts";
import { useI18n } from "../../i18n/index.tsx";
import { Form, nullable, SelectField, TextField, useForm } from "../../ui/form.tsx";
import { DataTable, ErrorNotice, Page, usePaged } from "../../ui/kit.tsx";
import { RowActions, useEditor } from "../../ui/crud.tsx";

type Group = Schemas["EventGroup"];
const TYPES: Group["group_type"][] = ["SEASON", "COMPETITION", "TOURNAMENT", "SERIES", "OTHER"];

function GroupForm({ group, onDone }: { group: Group | null; onDone: () => void }) {
  const { t } = useI18n();
  const form = useForm({
    code: group?.code ?? "",
    name: group?.name ?? "",
    group_type: group?.group_type ?? "SEASON",
    sport: group?.sport ?? "",
    season: group?.season ?? "",
    starts_on: group?.starts_on ?? "",
    ends_on: group?.ends_on ?? "",
  });
  return (
    <Form
      form={form}
      submitLabel={group ? t("common.save") : t("common.create")}
      onSubmit={async (v) => {
        const body = { name: String(v.name), group_type: v.group_type as Group["group_type"], sport: nullable(v.sport), season: nullable(v.season), starts_on: nullable(v.starts_on), ends_on: nullable(v.ends_on) };
        if (group) await call(() => api.PATCH("/v1/event-groups/{group_id}", { params: { path: { group_id: group.id } }, body }));
        else await call(() => api.POST("/v1/event-groups", { body: { ...body, code: String(v.code).trim() } }));
        onDone();
      }}
    >
      <div className="form-grid">
        {!group && <TextField form={form} name="code" label={t("common.code")} required />}
        <TextField form={form} name="name" label={t("common.name")} required />
        <SelectField form={form} name="group_type" label={t("common.type")} options={TYPES.map((value) => ({ value, label: t(`groupType.${value}`) }))} />
        <TextField form={form} name="sport" label={t("groups.sport")} />
        <TextField form={form} name="season" label={t("groups.season")} hint="2026-2027" />
        <TextField form={form} name="starts_on" label={t("common.from")} type="date" />
        <TextField form={form} name="ends_on" label={t("common.to")} type="date" />
      </div>
    </Form>
  );
}

export default function EventGroups() {
  const { t, date } = useI18n();
  const list = usePaged((cursor) => call(() => api.GET("/v1/event-groups", { params: { query: { mine: "true", include_inactive: "true", cursor, limit: 100 } } })), []);
  const editor = useEditor<Group>({ newLabel: t("groups.new"), onSaved: () => list.reload() });
  return (
    <Page title={t("groups.title")} actions={editor.newButton}>
      {editor.announcement}
      <ErrorNotice error={list.error} />
      <DataTable
        caption={t("groups.title")}
        rows={list.rows}
        rowKey={(row) => row.id}
        paged={list}
        columns={[
          { header: t("common.code"), cell: (row) => row.code },
          { header: t("common.name"), cell: (row) => row.name },
          { header: t("common.type"), cell: (row) => t(`groupType.${row.group_type}`) },
          { header: t("common.from"), cell: (row) => date(row.starts_on) },
          { header: t("common.to"), cell: (row) => date(row.ends_on) },
          { header: t("groups.events"), numeric: true, cell: (row) => row.events_count },
          {
            header: t("common.actions"),
            cell: (row) => (
              <RowActions onEdit={() => editor.edit(row)} />
            ),
          },
        ]}
      />
      {editor.dialog((row, saved) => (
        <GroupForm group={row} onDone={saved} />
      ))}
    </Page>
  );
}
