import { api, call, type Schemas } from "../../api/client.ts";
import { useRoles } from "../../app/access.tsx";
import type { ScreenProps } from "../../app/routes.tsx";
import { useI18n } from "../../i18n/index.tsx";
import { BarChart } from "../../ui/charts.tsx";
import { DataTable, ErrorNotice, Loading, Page, Section, useLoad } from "../../ui/kit.tsx";
import { EventTabs, useEvent } from "./EventTabs.tsx";
import { ExportButton, EXPORTS, type ExportName } from "./lists.tsx";

/**
 * An event's reports, as the API computes them: sales (by day, ticket type,
 * channel, promo code; amounts for money.read), revenue (OWNER, FINANCE),
 * attendance (entries per quarter hour, denials, gates, zones) and season
 * passes; and every list of the event as CSV.
 */
export default function Reports({ params }: ScreenProps) {
  const { t } = useI18n();
  const roles = useRoles();
  const eventId = params.event_id!;
  const event = useEvent(eventId);
  const path = { event_id: eventId };
  const sales = useLoad(() => call(() => api.GET("/v1/events/{event_id}/reports/sales", { params: { path } })), [eventId]);
  const revenue = useLoad(() => (roles.money ? call(() => api.GET("/v1/events/{event_id}/reports/revenue", { params: { path } })) : Promise.resolve(null)), [eventId, roles.money]);
  const attendance = useLoad(() => call(() => api.GET("/v1/events/{event_id}/reports/attendance", { params: { path } })), [eventId]);
  const passes = useLoad(() => call(() => api.GET("/v1/events/{event_id}/reports/passes", { params: { path } })), [eventId]);
  if (event.error) return <ErrorNotice error={event.error} />;
  if (!event.data) return <Loading />;
  // Lists whose export needs more than exports.read: money.read, gate.supervise.
  const exportable = EXPORTS.filter((list) => (list === "payments" || list === "refunds" ? roles.money : list === "access-log" ? roles.supervisor : true));
  return (
    <Page title={t("reports.title", { title: event.data.title })}>
      <EventTabs eventId={eventId} />
      <ErrorNotice error={sales.error ?? revenue.error ?? attendance.error ?? passes.error} />
      {!sales.data || !attendance.data || !passes.data || revenue.data === undefined ? <Loading /> : (
        <>
          <SalesReport report={sales.data} />
          {revenue.data && <RevenueReport report={revenue.data} />}
          <AttendanceReport report={attendance.data} timeZone={event.data.timezone} />
          {passes.data.plans.length > 0 && <PassesReport report={passes.data} />}
        </>
      )}
      <Section title={t("reports.exports")}>
        <p className="field-hint">{t("reports.exportsHint")}</p>
        <div className="row-actions">
          {exportable.map((list) => (
            <ExportButton key={list} eventId={eventId} list={list} label={t(`exports.${list}` as `exports.${ExportName}`)} />
          ))}
        </div>
      </Section>
    </Page>
  );
}

type Sales = Schemas["SalesReport"];

function SalesReport({ report }: { report: Sales }) {
  const { t, money, number, date } = useI18n();
  const amount = (value: number | null, currency: string) => (value === null ? "—" : money(value, currency));
  return (
    <Section title={t("reports.sales")}>
      <DataTable
        caption={t("reports.salesTotals")}
        rows={report.totals}
        rowKey={(row) => row.currency}
        empty={t("reports.noSales")}
        columns={[
          { header: t("common.currency"), cell: (row) => row.currency },
          { header: t("reports.orders"), numeric: true, cell: (row) => number(row.orders) },
          { header: t("reports.units"), numeric: true, cell: (row) => number(row.units) },
          { header: t("reports.gross"), numeric: true, cell: (row) => amount(row.gross, row.currency) },
          { header: t("reports.discount"), numeric: true, cell: (row) => amount(row.discount, row.currency) },
          { header: t("reports.net"), numeric: true, cell: (row) => amount(row.net, row.currency) },
        ]}
      />
      {report.by_day.length > 0 && (
        <>
          <h3>{t("reports.byDay")}</h3>
          <BarChart label={t("reports.byDay")} data={report.by_day.map((row) => ({ label: `${date(row.day)} ${report.totals.length > 1 ? row.currency : ""}`.trim(), value: row.units }))} format={number} />
        </>
      )}
      {report.by_ticket_type.length > 0 && (
        <>
          <h3>{t("reports.byTicketType")}</h3>
          <BarChart label={t("reports.byTicketType")} data={report.by_ticket_type.map((row) => ({ label: row.label ?? "—", value: row.units }))} format={number} />
        </>
      )}
      {report.by_channel.length > 0 && (
        <>
          <h3>{t("reports.byChannel")}</h3>
          <BarChart label={t("reports.byChannel")} data={report.by_channel.map((row) => ({ label: t(`channel.${row.channel}` as "channel.WEB"), value: row.units }))} format={number} />
        </>
      )}
      {report.by_promo_code.length > 0 && (
        <DataTable
          caption={t("reports.byPromoCode")}
          rows={report.by_promo_code}
          rowKey={(row) => `${row.pricing_rule_id}-${row.currency}`}
          columns={[
            { header: t("reports.promoCode"), cell: (row) => row.promo_code ?? row.label ?? "—" },
            { header: t("reports.orders"), numeric: true, cell: (row) => number(row.orders) },
            { header: t("reports.units"), numeric: true, cell: (row) => number(row.units) },
            { header: t("reports.discount"), numeric: true, cell: (row) => amount(row.discount, row.currency) },
          ]}
        />
      )}
    </Section>
  );
}

type Revenue = Schemas["RevenueReport"];

function RevenueReport({ report }: { report: Revenue }) {
  const { t, money } = useI18n();
  return (
    <Section title={t("reports.revenue")}>
      <DataTable
        caption={t("reports.revenue")}
        rows={report.currencies}
        rowKey={(row) => row.currency}
        empty={t("reports.noSales")}
        columns={[
          { header: t("common.currency"), cell: (row) => row.currency },
          { header: t("reports.gross"), numeric: true, cell: (row) => money(row.gross, row.currency) },
          { header: t("reports.discount"), numeric: true, cell: (row) => money(row.discount, row.currency) },
          { header: t("reports.net"), numeric: true, cell: (row) => money(row.net, row.currency) },
          { header: t("reports.commission"), numeric: true, cell: (row) => money(row.commission, row.currency) },
          { header: t("reports.organizerNet"), numeric: true, cell: (row) => money(row.organizer_net, row.currency) },
          { header: t("reports.refunded"), numeric: true, cell: (row) => money(row.refunded, row.currency) },
        ]}
      />
    </Section>
  );
}

type Attendance = Schemas["AttendanceReport"];

function AttendanceReport({ report, timeZone }: { report: Attendance; timeZone: string }) {
  const { t, number, dateTime } = useI18n();
  const figures: [string, number | null][] = [
    [t("reports.rights"), report.rights.total],
    [t("reports.checkedIn"), report.rights.checked_in],
    [t("reports.notCheckedIn"), report.rights.not_checked_in],
    [t("reports.entries"), report.entries],
    [t("reports.reEntries"), report.re_entries],
    [t("reports.exits"), report.exits],
    [t("reports.manualEntries"), report.manual_entries],
  ];
  return (
    <Section title={t("reports.attendance")}>
      <dl className="stats">
        {figures.map(([label, value]) => (
          <div className="stat" key={label}>
            <dt>{label}</dt>
            <dd>{value === null ? "—" : number(value)}</dd>
          </div>
        ))}
      </dl>
      {report.buckets.length > 0 && (
        <>
          <h3>{t("reports.entriesOverTime")}</h3>
          <BarChart label={t("reports.entriesOverTime")} data={report.buckets.map((row) => ({ label: dateTime(row.bucket, timeZone), value: row.entries }))} format={number} />
        </>
      )}
      {report.denials_by_reason.length > 0 && (
        <>
          <h3>{t("reports.denials")}</h3>
          <BarChart label={t("reports.denials")} data={report.denials_by_reason.map((row) => ({ label: t(`denial.${row.reason}` as "denial.BLACKLISTED"), value: row.scans }))} format={number} />
        </>
      )}
      <DataTable
        caption={t("reports.byGate")}
        rows={report.by_gate}
        rowKey={(row) => row.access_point_id}
        empty={t("reports.noScans")}
        columns={[
          { header: t("reports.gate"), cell: (row) => row.name ?? "—" },
          { header: t("reports.entries"), numeric: true, cell: (row) => number(row.entries) },
          { header: t("reports.exits"), numeric: true, cell: (row) => number(row.exits) },
          { header: t("reports.denied"), numeric: true, cell: (row) => number(row.denials) },
        ]}
      />
      <DataTable
        caption={t("reports.byZone")}
        rows={report.by_zone}
        rowKey={(row) => row.zone_id ?? "none"}
        columns={[
          { header: t("reports.zone"), cell: (row) => row.zone_name ?? "—" },
          { header: t("reports.rights"), numeric: true, cell: (row) => number(row.rights) },
          { header: t("reports.checkedIn"), numeric: true, cell: (row) => number(row.checked_in) },
          { header: t("reports.entries"), numeric: true, cell: (row) => number(row.entries) },
          { header: t("reports.denied"), numeric: true, cell: (row) => number(row.denials) },
        ]}
      />
    </Section>
  );
}

type Passes = Schemas["PassesReport"];

function PassesReport({ report }: { report: Passes }) {
  const { t, number } = useI18n();
  return (
    <Section title={t("reports.passes")}>
      <DataTable
        caption={t("reports.passes")}
        rows={report.plans}
        rowKey={(row) => row.plan_id ?? "none"}
        columns={[
          { header: t("common.name"), cell: (row) => row.plan_name ?? "—" },
          { header: t("reports.rights"), numeric: true, cell: (row) => number(row.rights) },
          { header: t("reports.checkedIn"), numeric: true, cell: (row) => number(row.checked_in) },
          { header: t("reports.notCheckedIn"), numeric: true, cell: (row) => number(row.not_checked_in) },
        ]}
      />
    </Section>
  );
}
