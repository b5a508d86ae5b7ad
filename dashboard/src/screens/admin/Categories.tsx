import { api, call, type Schemas } from "../../api/client.ts";
import { useI18n } from "../../i18n/index.tsx";
import { CheckboxField, Form, nullable, numberOrText, TextField, useForm } from "../../ui/form.tsx";
import { DataTable, ErrorNotice, Page, useLoad } from "../../ui/kit.tsx";
import { RowActions, useEditor, YesNo } from "../../ui/crud.tsx";

type Category = Schemas["Category"];

function CategoryForm({ category, onDone }: { category: Category | null; onDone: () => void }) {
  const { t } = useI18n();
  const form = useForm({
    name: category?.name ?? "",
    description: category?.description ?? "",
    icon: category?.icon ?? "",
    color: category?.color ?? "",
    display_order: String(category?.display_order ?? 0),
    is_active: category?.is_active ?? true,
  });
  return (
    <Form
      form={form}
      submitLabel={category ? t("common.save") : t("common.create")}
      onSubmit={async (v) => {
        const body = { name: String(v.name), description: nullable(v.description), icon: nullable(v.icon), color: nullable(v.color), display_order: numberOrText(v.display_order), is_active: Boolean(v.is_active) };
        if (category) await call(() => api.PATCH("/v1/admin/categories/{category_id}", { params: { path: { category_id: category.id } }, body }));
        else await call(() => api.POST("/v1/admin/categories", { body }));
        onDone();
      }}
    >
      <TextField form={form} name="name" label={t("common.name")} required />
      <TextField form={form} name="description" label={t("common.description")} />
      <div className="form-grid">
        <TextField form={form} name="icon" label={t("categories.icon")} />
        <TextField form={form} name="color" label={t("categories.color")} hint="#0b5c4a" />
        <TextField form={form} name="display_order" label={t("common.order")} inputMode="numeric" />
      </div>
      <CheckboxField form={form} name="is_active" label={t("common.active")} />
    </Form>
  );
}

export default function Categories() {
  const { t } = useI18n();
  const list = useLoad(() => call(() => api.GET("/v1/categories", { params: { query: { include_inactive: "true", limit: 100 } } })), []);
  const editor = useEditor<Category>({ newLabel: t("categories.new"), onSaved: () => list.reload() });
  return (
    <Page title={t("categories.title")} actions={editor.newButton}>
      {editor.announcement}
      <ErrorNotice error={list.error ?? editor.error} />
      <DataTable
        caption={t("categories.title")}
        rows={list.data?.data ?? []}
        rowKey={(row) => row.id}
        columns={[
          { header: t("common.name"), cell: (row) => row.name },
          { header: t("common.description"), cell: (row) => row.description ?? "—" },
          { header: t("common.order"), numeric: true, cell: (row) => row.display_order },
          { header: t("common.active"), cell: (row) => <YesNo value={row.is_active} /> },
          {
            header: t("common.actions"),
            cell: (row) => (
              <RowActions
                onEdit={() => editor.edit(row)}
                busy={editor.busy}
                onDelete={() => editor.remove(() => call(() => api.DELETE("/v1/admin/categories/{category_id}", { params: { path: { category_id: row.id } } })))}
              />
            ),
          },
        ]}
      />
      {editor.dialog((row, saved) => (
        <CategoryForm category={row} onDone={saved} />
      ))}
    </Page>
  );
}
