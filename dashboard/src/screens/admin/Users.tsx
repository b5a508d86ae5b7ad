import { useState } from "react";
import { api, call } from "../../api/client.ts";
import { Link, setSearch, useLocation } from "../../app/router.tsx";
import { useI18n } from "../../i18n/index.tsx";
import { USER_ROLES } from "../../ui/enums.ts";
import { Badge, DataTable, ErrorNotice, Page, usePaged } from "../../ui/kit.tsx";
import { personName } from "../../i18n/format.ts";

export default function Users() {
  const { t, dateTime } = useI18n();
  const { search } = useLocation();
  const q = search.get("q") ?? "";
  const role = (search.get("role") ?? "") as (typeof USER_ROLES)[number] | "";
  const active = search.get("is_active") as "true" | "false" | null;
  const [text, setText] = useState(q);
  const list = usePaged(
    (cursor) =>
      call(() =>
        api.GET("/v1/admin/users", { params: { query: { q: q || undefined, role: role || undefined, is_active: active ?? undefined, cursor, limit: 50 } } }),
      ),
    [q, role, active],
  );
  return (
    <Page title={t("users.title")}>
      <form
        className="toolbar"
        role="search"
        onSubmit={(event) => {
          event.preventDefault();
          setSearch({ q: text.trim() || undefined });
        }}
      >
        <label className="field">
          <span>{t("users.search")}</span>
          <input type="search" value={text} onChange={(event) => setText(event.target.value)} />
        </label>
        <label className="field">
          <span>{t("common.role")}</span>
          <select value={role} onChange={(event) => setSearch({ role: event.target.value || undefined })}>
            <option value="">{t("common.all")}</option>
            {USER_ROLES.map((value) => (
              <option key={value} value={value}>
                {t(`role.${value}`)}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>{t("common.active")}</span>
          <select value={active ?? ""} onChange={(event) => setSearch({ is_active: event.target.value || undefined })}>
            <option value="">{t("common.all")}</option>
            <option value="true">{t("common.yes")}</option>
            <option value="false">{t("common.no")}</option>
          </select>
        </label>
        <button type="submit" className="primary">
          {t("common.search")}
        </button>
      </form>
      <ErrorNotice error={list.error} />
      <DataTable
        caption={t("users.title")}
        rows={list.rows}
        rowKey={(user) => user.id}
        paged={list}
        columns={[
          { header: t("common.name"), cell: (user) => <Link to={`/admin/users/${user.id}`}>{personName(user)}</Link> },
          { header: t("common.email"), cell: (user) => user.email },
          { header: t("common.role"), cell: (user) => t(`role.${user.role}`) },
          { header: t("common.active"), cell: (user) => (user.is_active ? <Badge tone="ok">{t("common.yes")}</Badge> : <Badge tone="bad">{t("common.no")}</Badge>) },
          { header: t("users.verified"), cell: (user) => (user.is_identity_verified ? t("common.yes") : t("common.no")) },
          { header: t("users.lastLogin"), cell: (user) => dateTime(user.last_login_at) },
        ]}
      />
    </Page>
  );
}
