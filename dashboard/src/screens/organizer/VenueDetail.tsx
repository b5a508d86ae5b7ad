import { useState } from "react";
import { api, call, type Schemas } from "../../api/client.ts";
import { Link } from "../../app/router.tsx";
import type { ScreenProps } from "../../app/routes.tsx";
import { useI18n } from "../../i18n/index.tsx";
import { CheckboxField, Form, numberOrText, SelectField, TextField, useForm } from "../../ui/form.tsx";
import { Badge, DataTable, Dialog, ErrorNotice, Loading, Page, Section, useAction, useAnnouncer, useLoad } from "../../ui/kit.tsx";

type Zone = Schemas["VenueZone"];
const CATEGORIES: Zone["category"][] = ["VIP", "PREMIUM", "STANDARD", "BASIC", "COMPLIMENTARY", "VISITORS", "PRESS", "STAFF"];
const DIRECTIONS: Schemas["AccessPoint"]["direction"][] = ["BOTH", "ENTRY", "EXIT"];

function ZoneForm({ venueId, zone, onDone }: { venueId: string; zone: Zone | null; onDone: () => void }) {
  const { t } = useI18n();
  const form = useForm({ code: zone?.code ?? "", name: zone?.name ?? "", category: zone?.category ?? "STANDARD", capacity: zone?.capacity.toString() ?? "", is_seated: zone?.is_seated ?? false, is_active: zone?.is_active ?? true });
  return (
    <Form
      form={form}
      submitLabel={zone ? t("common.save") : t("common.create")}
      onSubmit={async (v) => {
        const body = { name: String(v.name), category: v.category as Zone["category"], capacity: numberOrText(v.capacity) as number, is_seated: Boolean(v.is_seated), is_active: Boolean(v.is_active) };
        if (zone) await call(() => api.PATCH("/v1/venues/{venue_id}/zones/{zone_id}", { params: { path: { venue_id: venueId, zone_id: zone.id } }, body }));
        else await call(() => api.POST("/v1/venues/{venue_id}/zones", { params: { path: { venue_id: venueId } }, body: { ...body, code: String(v.code).trim() || undefined } }));
        onDone();
      }}
    >
      <div className="form-grid">
        {!zone && <TextField form={form} name="code" label={t("common.code")} />}
        <TextField form={form} name="name" label={t("common.name")} required />
        <SelectField form={form} name="category" label={t("common.category")} options={CATEGORIES.map((value) => ({ value, label: value }))} />
        <TextField form={form} name="capacity" label={t("common.capacity")} inputMode="numeric" required />
      </div>
      <CheckboxField form={form} name="is_seated" label={t("venues.seated")} />
      <CheckboxField form={form} name="is_active" label={t("common.active")} />
    </Form>
  );
}

function SeatsForm({ venueId, zone, onDone }: { venueId: string; zone: Zone; onDone: (count: number) => void }) {
  const { t } = useI18n();
  const form = useForm({ section: "A", from: "A", to: "J", seats_per_row: "20" });
  return (
    <Form
      form={form}
      submitLabel={t("venues.generateSeats")}
      onSubmit={async (v) => {
        const created = await call(() =>
          api.POST("/v1/venues/{venue_id}/zones/{zone_id}/seats", {
            params: { path: { venue_id: venueId, zone_id: zone.id } },
            body: { generate: { section: String(v.section), rows: { from: String(v.from), to: String(v.to) }, seats_per_row: numberOrText(v.seats_per_row) as number } },
          }),
        );
        onDone((created as { created?: number }).created ?? 0);
      }}
    >
      <div className="form-grid">
        <TextField form={form} name="section" label={t("venues.section")} required />
        <TextField form={form} name="from" label={t("venues.firstRow")} required />
        <TextField form={form} name="to" label={t("venues.lastRow")} required />
        <TextField form={form} name="seats_per_row" label={t("venues.seatsPerRow")} inputMode="numeric" required />
      </div>
    </Form>
  );
}

function GateForm({ venueId, zones, onDone }: { venueId: string; zones: Zone[]; onDone: () => void }) {
  const { t } = useI18n();
  const form = useForm<Record<string, string | boolean>>({ code: "", name: "", direction: "BOTH", ...Object.fromEntries(zones.map((z) => [`zone:${z.id}`, false])) });
  return (
    <Form
      form={form}
      submitLabel={t("common.create")}
      onSubmit={async (v) => {
        const zoneIds = zones.filter((z) => v[`zone:${z.id}`]).map((z) => z.id);
        await call(() =>
          api.POST("/v1/venues/{venue_id}/access-points", {
            params: { path: { venue_id: venueId } },
            body: { code: String(v.code), name: String(v.name), direction: v.direction as Schemas["AccessPoint"]["direction"], zone_ids: zoneIds },
          }),
        );
        onDone();
      }}
    >
      <div className="form-grid">
        <TextField form={form} name="code" label={t("common.code")} required />
        <TextField form={form} name="name" label={t("common.name")} required />
        <SelectField form={form} name="direction" label={t("venues.direction")} options={DIRECTIONS.map((value) => ({ value, label: t(`direction.${value}`) }))} />
      </div>
      <fieldset>
        <legend>{t("venues.gateZones")}</legend>
        {zones.map((z) => (
          <CheckboxField key={z.id} form={form} name={`zone:${z.id}`} label={z.name} />
        ))}
      </fieldset>
    </Form>
  );
}

export default function VenueDetail({ params }: ScreenProps) {
  const { t, number } = useI18n();
  const venueId = params.venue_id!;
  const path = { venue_id: venueId };
  const loaded = useLoad(
    () =>
      Promise.all([
        call(() => api.GET("/v1/venues/{venue_id}", { params: { path } })),
        call(() => api.GET("/v1/venues/{venue_id}/zones", { params: { path, query: { limit: 100 } } })),
        call(() => api.GET("/v1/venues/{venue_id}/access-points", { params: { path, query: { limit: 100 } } })),
      ]),
    [venueId],
  );
  const [zoneDialog, setZoneDialog] = useState<Zone | "new" | null>(null);
  const [seatsFor, setSeatsFor] = useState<Zone | null>(null);
  const [gateDialog, setGateDialog] = useState(false);
  const [announcement, announce] = useAnnouncer();
  const action = useAction();
  if (loaded.error) return <ErrorNotice error={loaded.error} />;
  if (!loaded.data) return <Loading />;
  const [venue, zones, gates] = loaded.data;
  const zoneName = new Map(zones.data.map((z) => [z.id, z.name]));
  const done = (text = t("common.saved")) => {
    setZoneDialog(null);
    setSeatsFor(null);
    setGateDialog(false);
    announce(text);
    loaded.reload();
  };
  return (
    <Page title={venue.name} actions={<Link to="/organizer/venues">{t("common.back")}</Link>} lead={[venue.address, venue.city, venue.country].filter(Boolean).join(", ")}>
      {announcement}
      <ErrorNotice error={action.error} />
      <Section title={t("venues.zones")} actions={<button type="button" onClick={() => setZoneDialog("new")}>{t("venues.newZone")}</button>}>
        <DataTable
          caption={t("venues.zones")}
          rows={zones.data}
          rowKey={(z) => z.id}
          columns={[
            { header: t("common.code"), cell: (z) => z.code },
            { header: t("common.name"), cell: (z) => z.name },
            { header: t("common.category"), cell: (z) => z.category },
            { header: t("common.capacity"), numeric: true, cell: (z) => number(z.capacity) },
            { header: t("venues.seated"), cell: (z) => (z.is_seated ? t("common.yes") : t("common.no")) },
            { header: t("common.active"), cell: (z) => (z.is_active ? <Badge tone="ok">{t("common.yes")}</Badge> : <Badge>{t("common.no")}</Badge>) },
            {
              header: t("common.actions"),
              cell: (z) => (
                <div className="row-actions">
                  <button type="button" className="small" onClick={() => setZoneDialog(z)}>
                    {t("common.edit")}
                  </button>
                  {z.is_seated && (
                    <button type="button" className="small" onClick={() => setSeatsFor(z)}>
                      {t("venues.seats")}
                    </button>
                  )}
                </div>
              ),
            },
          ]}
        />
      </Section>
      <Section title={t("venues.gates")} actions={<button type="button" onClick={() => setGateDialog(true)}>{t("venues.newGate")}</button>}>
        <DataTable
          caption={t("venues.gates")}
          rows={gates.data}
          rowKey={(g) => g.id}
          columns={[
            { header: t("common.code"), cell: (g) => g.code },
            { header: t("common.name"), cell: (g) => g.name },
            { header: t("venues.direction"), cell: (g) => t(`direction.${g.direction}`) },
            { header: t("venues.gateZones"), cell: (g) => g.zone_ids.map((id) => zoneName.get(id) ?? id.slice(0, 8)).join(", ") },
            {
              header: t("common.actions"),
              cell: (g) => (
                <button
                  type="button"
                  className="small"
                  disabled={action.busy}
                  onClick={() =>
                    void action.run(async () => {
                      await call(() => api.PATCH("/v1/venues/{venue_id}/access-points/{access_point_id}", { params: { path: { venue_id: venueId, access_point_id: g.id } }, body: { is_active: !g.is_active } }));
                      loaded.reload();
                    })
                  }
                >
                  {g.is_active ? t("venues.closeGate") : t("venues.openGate")}
                </button>
              ),
            },
          ]}
        />
      </Section>
      <Dialog open={zoneDialog !== null} onClose={() => setZoneDialog(null)} title={zoneDialog === "new" ? t("venues.newZone") : t("common.edit")}>
        {zoneDialog && <ZoneForm venueId={venueId} zone={zoneDialog === "new" ? null : zoneDialog} onDone={() => done()} />}
      </Dialog>
      <Dialog open={seatsFor !== null} onClose={() => setSeatsFor(null)} title={t("venues.seats")}>
        {seatsFor && <SeatsForm venueId={venueId} zone={seatsFor} onDone={(count) => done(t("venues.seatsCreated", { count }))} />}
      </Dialog>
      <Dialog open={gateDialog} onClose={() => setGateDialog(false)} title={t("venues.newGate")}>
        {gateDialog && <GateForm venueId={venueId} zones={zones.data} onDone={() => done()} />}
      </Dialog>
    </Page>
  );
}
