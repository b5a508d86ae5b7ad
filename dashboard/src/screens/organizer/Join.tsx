import { api, call } from "../../api/client.ts";
import { navigate } from "../../app/router.tsx";
import { useSession } from "../../auth/session.tsx";
import { useI18n } from "../../i18n/index.tsx";
import { Form, TextField, useForm } from "../../ui/form.tsx";
import { Page, Section } from "../../ui/kit.tsx";

/**
 * Joining a team with the token of an invitation email, signed in with the
 * invited address; the navigation then opens what the role gives.
 */
export default function Join() {
  const { t } = useI18n();
  const session = useSession();
  const form = useForm({ token: "" });
  return (
    <Page title={t("join.title")} lead={<p>{t("join.lead")}</p>}>
      <Section title={t("join.title")}>
        <Form
          form={form}
          submitLabel={t("join.accept")}
          onSubmit={async (v) => {
            await call(() => api.POST("/v1/organization-invitations/accept", { body: { token: String(v.token).trim() } }));
            await session.reload();
            navigate("/organizer/team");
          }}
        >
          <TextField form={form} name="token" label={t("join.token")} autoComplete="off" spellCheck={false} required />
        </Form>
      </Section>
    </Page>
  );
}
