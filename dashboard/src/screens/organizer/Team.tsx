import { api, call, type Schemas } from "../../api/client.ts";
import { Link, navigate, setSearch, useLocation } from "../../app/router.tsx";
import { useSession } from "../../auth/session.tsx";
import { useI18n } from "../../i18n/index.tsx";
import { ORGANIZATION_ROLES } from "../../ui/enums.ts";
import { Form, SelectField, TextArea, TextField, nullable, optional, useForm } from "../../ui/form.tsx";
import { DataTable, ErrorNotice, Loading, Page, Section, StatusBadge, useAction, useAnnouncer, useLoad, usePaged } from "../../ui/kit.tsx";
import { personName } from "../../i18n/format.ts";

type Organization = Schemas["Organization"];

/**
 * The organization and its team: create one (a platform ORGANIZER without
 * any), rename it, its members and their roles, invitations by email, and
 * leaving. What each role sees follows the API: members and invitations need
 * `team.manage` (OWNER, MANAGER), changing them `members.manage` (OWNER).
 */
export default function Team() {
  const { t } = useI18n();
  const session = useSession();
  const { search } = useLocation();
  const admin = session.user?.role === "ADMIN";
  // Admins may open any organization; members theirs.
  const everyone = useLoad(
    () => (admin ? call(() => api.GET("/v1/organizations", { params: { query: { all: "true", limit: 100 } } })).then((page) => page.data) : Promise.resolve(session.organizations)),
    [admin, session.organizations],
  );
  if (everyone.error) return <ErrorNotice error={everyone.error} />;
  if (!everyone.data) return <Loading />;
  const organizations = everyone.data;
  if (organizations.length === 0) return <CreateOrganization />;
  const chosen = organizations.find((o) => o.id === search.get("organization")) ?? organizations[0]!;
  return (
    <Page
      title={t("team.title", { name: chosen.name })}
      actions={
        <Link className="button" to="/join">
          {t("join.title")}
        </Link>
      }
    >
      {organizations.length > 1 && (
        <div className="toolbar">
          <label className="field">
            <span>{t("team.organization")}</span>
            <select value={chosen.id} onChange={(event) => setSearch({ organization: event.target.value })}>
              {organizations.map((o) => (
                <option key={o.id} value={o.id}>
                  {o.name}
                </option>
              ))}
            </select>
          </label>
        </div>
      )}
      <OrganizationTeam key={chosen.id} organization={chosen} admin={admin} />
    </Page>
  );
}

function CreateOrganization() {
  const { t } = useI18n();
  const session = useSession();
  const form = useForm({ name: "", description: "", contact_email: "" });
  return (
    <Page title={t("team.createTitle")} lead={<p>{t("team.createLead")}</p>}>
      <Section title={t("team.createTitle")}>
        <Form
          form={form}
          submitLabel={t("common.create")}
          onSubmit={async (v) => {
            await call(() => api.POST("/v1/organizations", { body: { name: String(v.name), description: optional(v.description), contact_email: optional(v.contact_email) } }));
            await session.reload();
            navigate("/organizer/events");
          }}
        >
          <TextField form={form} name="name" label={t("common.name")} required />
          <TextField form={form} name="contact_email" label={t("team.contactEmail")} type="email" />
          <TextArea form={form} name="description" label={t("common.description")} />
        </Form>
      </Section>
      <p>
        <Link to="/join">{t("team.invitedInstead")}</Link>
      </p>
    </Page>
  );
}

function OrganizationTeam({ organization, admin }: { organization: Organization; admin: boolean }) {
  const { t, dateTime } = useI18n();
  const session = useSession();
  const role = organization.my_role;
  const owner = admin || role === "OWNER";
  const runsTeam = owner || role === "MANAGER";
  const path = { organization_id: organization.id };
  const [announcement, announce] = useAnnouncer();
  const action = useAction();
  const members = usePaged((cursor) => (runsTeam ? call(() => api.GET("/v1/organizations/{organization_id}/members", { params: { path, query: { cursor, limit: 100 } } })) : Promise.resolve({ data: [], next_cursor: null })), [organization.id, runsTeam]);
  const invitations = usePaged(
    (cursor) => (runsTeam ? call(() => api.GET("/v1/organizations/{organization_id}/invitations", { params: { path, query: { cursor, limit: 50 } } })) : Promise.resolve({ data: [], next_cursor: null })),
    [organization.id, runsTeam],
  );
  const details = useForm({ name: organization.name, description: organization.description ?? "", contact_email: organization.contact_email ?? "" });
  const invite = useForm({ email: "", role: "BOX_OFFICE" });
  const roleOptions = ORGANIZATION_ROLES.map((value) => ({ value, label: t(`teamRole.${value}`) }));
  const me = session.user?.id;

  const leave = () =>
    void action.run(async () => {
      if (!me || !window.confirm(t("team.leaveConfirm", { name: organization.name }))) return;
      await call(() => api.DELETE("/v1/organizations/{organization_id}/members/{user_id}", { params: { path: { ...path, user_id: me } } }));
      await session.reload();
      navigate("/");
    });

  return (
    <>
      {announcement}
      <ErrorNotice error={action.error ?? members.error ?? invitations.error} />
      {role && (
        <p className="notice">
          {t("team.myRole", { role: t(`teamRole.${role}`) })}{" "}
          <button type="button" className="small danger" disabled={action.busy} onClick={leave}>
            {t("team.leave")}
          </button>
        </p>
      )}
      {owner && (
        <Section title={t("team.details")}>
          <Form
            form={details}
            submitLabel={t("common.save")}
            onSubmit={async (v) => {
              await call(() =>
                api.PATCH("/v1/organizations/{organization_id}", { params: { path }, body: { name: String(v.name), description: nullable(v.description), contact_email: optional(v.contact_email) } }),
              );
              await session.reload();
              announce(t("common.saved"));
            }}
          >
            <div className="form-grid">
              <TextField form={details} name="name" label={t("common.name")} required />
              <TextField form={details} name="contact_email" label={t("team.contactEmail")} type="email" />
            </div>
            <TextArea form={details} name="description" label={t("common.description")} />
          </Form>
        </Section>
      )}
      {runsTeam && (
        <Section title={t("team.members")}>
          <DataTable
            caption={t("team.members")}
            rows={members.rows}
            rowKey={(row) => row.id}
            paged={members}
            columns={[
              { header: t("common.name"), cell: (row) => personName(row.user) },
              { header: t("common.email"), cell: (row) => row.user.email },
              {
                header: t("common.role"),
                cell: (row) =>
                  owner ? (
                    <select
                      aria-label={t("team.roleOf", { name: personName(row.user) })}
                      value={row.role}
                      disabled={action.busy}
                      onChange={(event) => {
                        const next = event.target.value as (typeof ORGANIZATION_ROLES)[number];
                        void action.run(async () => {
                          const changed = await call(() => api.PATCH("/v1/organizations/{organization_id}/members/{user_id}", { params: { path: { ...path, user_id: row.user.id } }, body: { role: next } }));
                          members.setRows(members.rows.map((m) => (m.id === changed.id ? changed : m)));
                          if (row.user.id === me) await session.reload();
                          announce(t("team.roleChanged", { name: personName(row.user), role: t(`teamRole.${next}`) }));
                        });
                      }}
                    >
                      {roleOptions.map((option) => (
                        <option key={option.value} value={option.value}>
                          {option.label}
                        </option>
                      ))}
                    </select>
                  ) : (
                    t(`teamRole.${row.role}`)
                  ),
              },
              { header: t("team.since"), cell: (row) => dateTime(row.created_at) },
              {
                header: t("common.actions"),
                cell: (row) =>
                  owner && row.user.id !== me ? (
                    <button
                      type="button"
                      className="small danger"
                      disabled={action.busy}
                      onClick={() =>
                        void action.run(async () => {
                          if (!window.confirm(t("team.removeConfirm", { name: personName(row.user) }))) return;
                          await call(() => api.DELETE("/v1/organizations/{organization_id}/members/{user_id}", { params: { path: { ...path, user_id: row.user.id } } }));
                          members.reload();
                        })
                      }
                    >
                      {t("team.remove")}
                    </button>
                  ) : null,
              },
            ]}
          />
        </Section>
      )}
      {owner && (
        <Section title={t("team.invite")}>
          <Form
            form={invite}
            label={t("team.invite")}
            submitLabel={t("team.sendInvitation")}
            onSubmit={async (v) => {
              const sent = await call(() => api.POST("/v1/organizations/{organization_id}/invitations", { params: { path }, body: { email: String(v.email).trim(), role: v.role as (typeof ORGANIZATION_ROLES)[number] } }));
              invite.reset({ email: "", role: String(v.role) });
              announce(t("team.invited", { email: sent.email }));
              invitations.reload();
            }}
          >
            <div className="form-grid">
              <TextField form={invite} name="email" label={t("common.email")} type="email" required />
              <SelectField form={invite} name="role" label={t("common.role")} options={roleOptions} />
            </div>
          </Form>
        </Section>
      )}
      {runsTeam && (
        <Section title={t("team.invitations")}>
          <DataTable
            caption={t("team.invitations")}
            rows={invitations.rows}
            rowKey={(row) => row.id}
            paged={invitations}
            columns={[
              { header: t("common.email"), cell: (row) => row.email },
              { header: t("common.role"), cell: (row) => t(`teamRole.${row.role}`) },
              { header: t("common.status"), cell: (row) => <StatusBadge value={row.status} /> },
              { header: t("team.expires"), cell: (row) => dateTime(row.expires_at) },
              {
                header: t("common.actions"),
                cell: (row) =>
                  owner && row.status === "PENDING" ? (
                    <button
                      type="button"
                      className="small danger"
                      disabled={action.busy}
                      onClick={() =>
                        void action.run(async () => {
                          await call(() => api.POST("/v1/organizations/{organization_id}/invitations/{invitation_id}/revoke", { params: { path: { ...path, invitation_id: row.id } } }));
                          invitations.reload();
                        })
                      }
                    >
                      {t("team.revoke")}
                    </button>
                  ) : null,
              },
            ]}
          />
        </Section>
      )}
    </>
  );
}
