import { useRef, useState } from "react";
import { api, call, type Schemas } from "../../api/client.ts";
import { useRoles } from "../../app/access.tsx";
import { useI18n } from "../../i18n/index.tsx";
import { Form, SelectField, TextArea, TextField, useForm } from "../../ui/form.tsx";
import { Badge, DataTable, Dialog, Section, StatusBadge, useAnnouncer } from "../../ui/kit.tsx";

type Holder = Schemas["DoorHolders"]["data"][number];
type Gate = Pick<Schemas["AccessPoint"], "id" | "name" | "direction" | "zone_ids" | "is_active">;

/**
 * The door desk of the live gate view: a holder found by name, phone or
 * printed code (gate.scan), and let in by hand with a reason (door.admit).
 * The admission is a scan decided by the event's Durable Object like any
 * other, so it can be refused (already inside, blocked, banned); the decision
 * is shown as the gate gets it.
 */
export function DoorDesk({ eventId, gates }: { eventId: string; gates: Gate[] }) {
  const { t } = useI18n();
  const roles = useRoles();
  const search = useForm({ q: "" });
  const [found, setFound] = useState<{ q: string; holders: Holder[] } | null>(null);
  const [admitting, setAdmitting] = useState<Holder | null>(null);
  const [announcement, announce] = useAnnouncer();
  const lookup = async (q: string) => {
    const result = await call(() => api.GET("/v1/events/{event_id}/door/holders", { params: { path: { event_id: eventId }, query: { q } } }));
    setFound({ q, holders: result.data });
  };
  // Managers also get the venue's closed gates from the list; a door admission goes through an open entrance.
  const entrances = gates.filter((gate) => gate.is_active && gate.direction !== "EXIT");

  return (
    <Section title={t("door.title")}>
      {announcement}
      <Form form={search} label={t("door.title")} submitLabel={t("common.search")} onSubmit={(values) => lookup(String(values.q).trim())}>
        <TextField form={search} name="q" type="search" label={t("door.search")} hint={t("door.searchHint")} />
      </Form>
      {found && (
        <DataTable
          caption={t("door.found")}
          rows={found.holders}
          rowKey={(row) => row.id}
          empty={t("door.none", { q: found.q })}
          columns={[
            {
              header: t("attendees.holder"),
              cell: (row) => (
                <>
                  <strong>{row.holder_name ?? "—"}</strong>
                  {row.holder_phone && (
                    <>
                      <br />
                      <span className="muted">{row.holder_phone}</span>
                    </>
                  )}
                </>
              ),
            },
            { header: t("attendees.code"), cell: (row) => <code>{row.qr_code}</code> },
            { header: t("tickets.type"), cell: (row) => row.ticket_type_name ?? "—" },
            { header: t("attendees.place"), cell: (row) => [row.zone_name, row.seat].filter(Boolean).join(" · ") || "—" },
            { header: t("common.status"), cell: (row) => <StatusBadge value={row.status} /> },
            {
              header: t("attendees.checkedIn"),
              cell: (row) => (row.is_inside ? <Badge tone="ok">{t("door.inside")}</Badge> : row.checked_in ? t("door.left") : t("door.notYet")),
            },
            {
              header: t("common.actions"),
              cell: (row) =>
                roles.admit && (row.status === "ENABLED" || row.status === "USED") && !row.is_inside ? (
                  <button type="button" className="small" onClick={() => setAdmitting(row)}>
                    {t("door.admit")}
                  </button>
                ) : null,
            },
          ]}
        />
      )}
      <Dialog open={admitting !== null} onClose={() => setAdmitting(null)} title={t("door.admitTitle", { name: admitting?.holder_name ?? admitting?.qr_code ?? "" })}>
        {admitting && (
          <AdmitForm
            eventId={eventId}
            holder={admitting}
            gates={entrances}
            onAdmitted={(gate, entries) => {
              setAdmitting(null);
              announce(t("door.admitted", { name: admitting.holder_name ?? admitting.qr_code, gate }));
              // The Durable Object decided it: the row shows its answer now (the
              // search reads D1, which gets the scan a moment later).
              const admitted = { status: "USED", checked_in: true, checked_in_at: admitting.checked_in_at ?? new Date().toISOString(), is_inside: true, entry_count: entries ?? admitting.entry_count };
              setFound((current) => current && { ...current, holders: current.holders.map((row) => (row.id === admitting.id ? { ...row, ...admitted } : row)) });
            }}
          />
        )}
      </Dialog>
    </Section>
  );
}

function AdmitForm({ eventId, holder, gates, onAdmitted }: { eventId: string; holder: Holder; gates: Gate[]; onAdmitted: (gate: string, entries: number | undefined) => void }) {
  const { t } = useI18n();
  // First offered: a gate that opens onto the holder's zone.
  const gate = gates.find((g) => holder.zone_id !== null && g.zone_ids.includes(holder.zone_id)) ?? gates[0];
  const form = useForm({ access_point_id: gate?.id ?? "", action: holder.checked_in ? "RE_ENTRY" : "ENTRY", reason: "" });
  // One key per decision: a retried request (lost answer) gets the first
  // decision instead of a second scan; a new attempt after a decision is a new scan.
  const key = useRef(crypto.randomUUID());
  const [denied, setDenied] = useState<string | null>(null);
  return (
    <Form
      form={form}
      submitLabel={t("door.admit")}
      onSubmit={async (values) => {
        setDenied(null);
        const decision = await call(() =>
          api.POST("/v1/events/{event_id}/door/admissions", {
            params: { path: { event_id: eventId }, header: { "idempotency-key": key.current } },
            body: { access_right_id: holder.id, access_point_id: String(values.access_point_id), action: values.action === "RE_ENTRY" ? "RE_ENTRY" : "ENTRY", reason: String(values.reason) },
          }),
        );
        key.current = crypto.randomUUID();
        if (decision.status === "SUCCESS" || decision.status === "WARNING") {
          const entries = decision.access_right?.entry_count;
          onAdmitted(gates.find((g) => g.id === values.access_point_id)?.name ?? "", typeof entries === "number" ? entries : undefined);
        } else setDenied(t("door.denied", { reason: t(`denial.${decision.denial_reason ?? "TECHNICAL_ERROR"}` as "denial.TECHNICAL_ERROR") }));
      }}
    >
      <SelectField form={form} name="access_point_id" label={t("door.gate")} options={gates.map((gate) => ({ value: gate.id, label: gate.name }))} />
      <SelectField
        form={form}
        name="action"
        label={t("door.action")}
        options={(["ENTRY", "RE_ENTRY"] as const).map((action) => ({ value: action, label: t(`action.${action}`) }))}
      />
      <TextArea form={form} name="reason" label={t("common.reason")} hint={t("door.reasonHint")} required />
      {denied && (
        <p className="notice notice-error" role="alert">
          {denied}
        </p>
      )}
    </Form>
  );
}
