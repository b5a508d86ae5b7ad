import { api, call } from "../../api/client.ts";
import { Link } from "../../app/router.tsx";
import type { ScreenProps } from "../../app/routes.tsx";
import { useI18n } from "../../i18n/index.tsx";
import { USER_ROLES } from "../../ui/enums.ts";
import { CheckboxField, Form, SelectField, useForm } from "../../ui/form.tsx";
import { ErrorNotice, Loading, Page, Section, useAnnouncer, useLoad } from "../../ui/kit.tsx";
import { personName } from "../../i18n/format.ts";

function RoleForm({ user, onSaved }: { user: { id: string; role: (typeof USER_ROLES)[number]; is_active: boolean }; onSaved: () => void }) {
  const { t } = useI18n();
  const form = useForm({ role: user.role as string, is_active: user.is_active });
  return (
    <Form
      form={form}
      submitLabel={t("common.save")}
      onSubmit={async (values) => {
        await call(() =>
          api.PATCH("/v1/admin/users/{user_id}", {
            params: { path: { user_id: user.id } },
            body: { role: values.role as (typeof USER_ROLES)[number], is_active: Boolean(values.is_active) },
          }),
        );
        onSaved();
      }}
    >
      <SelectField form={form} name="role" label={t("common.role")} options={USER_ROLES.map((value) => ({ value, label: t(`role.${value}`) }))} />
      <CheckboxField form={form} name="is_active" label={t("users.activeAccount")} hint={t("users.deactivateHint")} />
    </Form>
  );
}

export default function UserDetail({ params }: ScreenProps) {
  const { t, dateTime } = useI18n();
  const id = params.user_id!;
  const [announcement, announce] = useAnnouncer();
  const loaded = useLoad(() => call(() => api.GET("/v1/admin/users/{user_id}", { params: { path: { user_id: id } } })), [id]);
  if (loaded.error) return <ErrorNotice error={loaded.error} />;
  if (!loaded.data) return <Loading />;
  const user = loaded.data;
  return (
    <Page
      title={personName(user)}
      actions={
        <>
          <Link to={`/admin/blacklist?type=USER&identifier=${encodeURIComponent(user.id)}`}>{t("users.ban")}</Link>
          <Link to="/admin/users">{t("common.back")}</Link>
        </>
      }
    >
      {announcement}
      <div className="split">
        <Section title={t("common.details")}>
          <dl className="facts">
            <dt>{t("common.email")}</dt>
            <dd>{user.email}</dd>
            <dt>{t("common.phone")}</dt>
            <dd>{user.phone ?? "—"}</dd>
            <dt>{t("common.language")}</dt>
            <dd>{user.language}</dd>
            <dt>{t("users.verified")}</dt>
            <dd>{user.is_identity_verified ? dateTime(user.identity_verified_at) : t("common.no")}</dd>
            <dt>{t("users.lastLogin")}</dt>
            <dd>{dateTime(user.last_login_at)}</dd>
            <dt>{t("common.created")}</dt>
            <dd>{dateTime(user.created_at)}</dd>
          </dl>
        </Section>
        <Section title={t("users.roleAndAccess")}>
          <RoleForm
            key={user.updated_at}
            user={user}
            onSaved={() => {
              announce(t("common.saved"));
              loaded.reload();
            }}
          />
        </Section>
      </div>
    </Page>
  );
}
