import PDFDocument from 'pdfkit';
import { bankScopeOf } from '../ops/index.ts';
import * as repo from './repository.ts';
import type { IncidentCore } from './service.ts';
import type { Incident, IncidentDeps, Viewer } from './types.ts';

export interface ReportRow {
  victimId: string;
  bankCode: string;
  branchCode: string;
  accountNumberLast4: string;
  fraudulentLinks: number;
  charges: number;
  firstCharge: string;
  lastCharge: string;
  reportedByHolder: boolean;
  loss: number;
  returned: number;
  compensated: number;
  operatorShare: number;
  bankShare: number;
  split: string;
  status: string;
  remediationId: string | null;
  paidAt: string | null;
}

export interface BankSummary {
  bankCode: string;
  victims: number;
  fraudulentLinks: number;
  charges: number;
  loss: number;
  returned: number;
  compensated: number;
  operatorShare: number;
  bankShare: number;
  paid: number;
}

export interface IncidentReport {
  incident: Incident;
  generatedAt: string;
  /** The bank the report is limited to (a bank operator's), or null for the whole incident. */
  bankScope: string | null;
  rows: ReportRow[];
  totals: Omit<BankSummary, 'bankCode'>;
  banks: BankSummary[];
  timeline: Array<{ at: string; event: string; bankCode: string | null; detail: string }>;
}

const zero = () => ({
  victims: 0,
  fraudulentLinks: 0,
  charges: 0,
  loss: 0,
  returned: 0,
  compensated: 0,
  operatorShare: 0,
  bankShare: 0,
  paid: 0,
});

/** The incident's report: one row per victim, totals and per-bank counts in yen, a timeline of switches and steps. */
export function createReports(deps: IncidentDeps, core: IncidentCore) {
  const { db } = deps;

  async function report(viewer: Viewer, incidentId: string): Promise<IncidentReport> {
    const incident = await core.getIncident(viewer, incidentId);
    const scope = bankScopeOf(viewer as never);
    const banks = scope ? [scope] : undefined;
    const victims = await repo.victimsOf(db, incidentId, banks);
    const remediations = await repo.remediationsOf(db, incidentId, banks);
    const charges = victims.flatMap((v) => v.charges.map((c) => c.id));
    const times = new Map(
      (charges.length
        ? await db.selectFrom('charges').select(['id', 'created_at']).where('id', 'in', charges).execute()
        : []
      ).map((c) => [c.id, new Date(c.created_at).toISOString()]),
    );
    const rows: ReportRow[] = victims.map((v) => {
      const live = remediations.filter((r) => r.victimKey === v.key);
      const r = live.find((x) => x.status !== 'failed') ?? live[live.length - 1];
      const at = v.charges.map((c) => times.get(c.id) ?? '').sort();
      const done = r?.status === 'succeeded';
      return {
        victimId: repo.victimIdOf(v.key),
        bankCode: v.bankCode,
        branchCode: v.branchCode,
        accountNumberLast4: v.accountNumber.slice(-4),
        fraudulentLinks: v.linkIds.length,
        charges: v.charges.length,
        firstCharge: at[0] ?? '',
        lastCharge: at[at.length - 1] ?? '',
        reportedByHolder: v.reportedByHolder,
        loss: v.loss,
        returned: done ? r.returned : 0,
        compensated: done ? r.compensated : 0,
        operatorShare: done ? r.split.operatorShare : 0,
        bankShare: done ? r.split.bankShare : 0,
        split: r ? `${r.split.operatorSharePct}/${r.split.bankSharePct}` : '',
        status: r?.status ?? 'unpaid',
        remediationId: r?.id ?? null,
        paidAt: done ? r.updatedAt : null,
      };
    });
    const byBank = new Map<string, BankSummary>();
    const totals = zero();
    for (const row of rows) {
      const b = byBank.get(row.bankCode) ?? { bankCode: row.bankCode, ...zero() };
      for (const t of [b, totals]) {
        t.victims++;
        t.fraudulentLinks += row.fraudulentLinks;
        t.charges += row.charges;
        t.loss += row.loss;
        t.returned += row.returned;
        t.compensated += row.compensated;
        t.operatorShare += row.operatorShare;
        t.bankShare += row.bankShare;
        t.paid += row.returned + row.compensated;
      }
      byBank.set(row.bankCode, b);
    }
    return {
      incident,
      generatedAt: deps.clock.now().toISOString(),
      bankScope: scope ?? null,
      rows,
      totals,
      banks: [...byBank.values()].sort((a, b) => (a.bankCode < b.bankCode ? -1 : 1)),
      timeline: await timeline(incident, [...byBank.keys(), ...(incident.bankCode ? [incident.bankCode] : [])], scope),
    };
  }

  /** Switch changes of the banks involved since the window opened, with the incident's own steps, oldest first. */
  async function timeline(incident: Incident, bankCodes: string[], scope: string | undefined) {
    const events: IncidentReport['timeline'] = [
      { at: incident.createdAt, event: 'incident_created', bankCode: incident.bankCode, detail: incident.reason },
    ];
    for (const code of [...new Set(bankCodes)].filter((c) => !scope || c === scope))
      for (const c of await deps.switchHistory(code))
        if (c.at >= incident.from)
          events.push({
            at: c.at,
            event: 'bank_switch',
            bankCode: code,
            detail: `${JSON.stringify(c.changes)} ${c.reason}`,
          });
    let marks = db
      .selectFrom('incident_fraud_links')
      .select(['bank_code', 'marked_at', 'link_id'])
      .where('incident_id', '=', incident.id);
    if (scope) marks = marks.where('bank_code', '=', scope);
    for (const m of await marks.execute())
      events.push({
        at: new Date(m.marked_at).toISOString(),
        event: 'link_marked_fraudulent',
        bankCode: m.bank_code,
        detail: m.link_id,
      });
    if (incident.closedAt)
      events.push({ at: incident.closedAt, event: 'incident_closed', bankCode: incident.bankCode, detail: '' });
    return events.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  }

  /** What a regulator asks for: counts and yen per bank, totals, and the timeline of switches. */
  async function regulatorSummary(viewer: Viewer, incidentId: string) {
    const r = await report(viewer, incidentId);
    return {
      incident: r.incident,
      generatedAt: r.generatedAt,
      bankScope: r.bankScope,
      totals: r.totals,
      banks: r.banks,
      timeline: r.timeline,
    };
  }

  return { report, regulatorSummary, csv: reportCsv, pdf: reportPdf };
}
export type Reports = ReturnType<typeof createReports>;

const COLUMNS: Array<keyof ReportRow> = [
  'victimId',
  'bankCode',
  'branchCode',
  'accountNumberLast4',
  'fraudulentLinks',
  'charges',
  'firstCharge',
  'lastCharge',
  'reportedByHolder',
  'loss',
  'returned',
  'compensated',
  'operatorShare',
  'bankShare',
  'split',
  'status',
  'remediationId',
  'paidAt',
];

const cell = (v: unknown): string => {
  const s = v === null || v === undefined ? '' : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
};

/** One line per victim, then a TOTAL line (yen as integers). */
export function reportCsv(r: IncidentReport): string {
  const lines = [`incident,${COLUMNS.join(',')}`];
  for (const row of r.rows) lines.push([r.incident.id, ...COLUMNS.map((c) => row[c])].map(cell).join(','));
  const t = r.totals;
  lines.push(
    [
      r.incident.id,
      'TOTAL',
      '',
      '',
      '',
      t.fraudulentLinks,
      t.charges,
      '',
      '',
      '',
      t.loss,
      t.returned,
      t.compensated,
      t.operatorShare,
      t.bankShare,
      '',
      '',
      '',
      '',
    ]
      .map(cell)
      .join(','),
  );
  return `${lines.join('\r\n')}\r\n`;
}

const yenText = (n: number) => `JPY ${n.toLocaleString('en-US')}`;

/** The same report as a PDF (pdfkit, built-in Helvetica: the report holds no names, only codes and amounts). */
export function reportPdf(r: IncidentReport): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const doc = new PDFDocument({
      size: 'A4',
      margin: 40,
      info: { Title: `Incident ${r.incident.id}`, Author: 'Saifu' },
    });
    const chunks: Buffer[] = [];
    doc.on('data', (c: Buffer) => chunks.push(c));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
    const i = r.incident;
    doc.fontSize(16).text(`Incident report ${i.id}`);
    doc.fontSize(9).moveDown(0.5);
    doc.text(`Bank: ${i.bankCode ?? 'all banks'}${r.bankScope ? ` (limited to bank ${r.bankScope})` : ''}`);
    doc.text(`Window: ${i.from} to ${i.to}   Status: ${i.status}   Generated: ${r.generatedAt}`);
    doc.text(`Reason: ${i.reason.replace(/[^\x20-\x7e]/g, '?')}`);
    doc.moveDown().fontSize(11).text('Totals');
    const t = r.totals;
    doc
      .fontSize(9)
      .text(
        `Victims ${t.victims} · fraudulent links ${t.fraudulentLinks} · charges ${t.charges} · loss ${yenText(t.loss)} · returned ${yenText(t.returned)} · compensated ${yenText(t.compensated)} (operator ${yenText(t.operatorShare)}, banks ${yenText(t.bankShare)}) · paid ${yenText(t.paid)}`,
      );
    doc.moveDown().fontSize(11).text('Per bank');
    doc.fontSize(9);
    for (const b of r.banks)
      doc.text(
        `${b.bankCode}: ${b.victims} victims, ${b.charges} charges, loss ${yenText(b.loss)}, returned ${yenText(b.returned)}, compensated ${yenText(b.compensated)} (operator ${yenText(b.operatorShare)} / bank ${yenText(b.bankShare)})`,
      );
    doc.moveDown().fontSize(11).text('Cases');
    doc.fontSize(8);
    for (const row of r.rows)
      doc.text(
        `${row.victimId}  ${row.bankCode}-${row.branchCode}-***${row.accountNumberLast4}  ${row.charges} charges ${row.firstCharge.slice(0, 16)}..${row.lastCharge.slice(0, 16)}  loss ${yenText(row.loss)}  returned ${yenText(row.returned)}  compensated ${yenText(row.compensated)}  split ${row.split || '-'}  ${row.status}${row.reportedByHolder ? '  reported by holder' : ''}`,
      );
    doc.moveDown().fontSize(11).text('Timeline');
    doc.fontSize(8);
    for (const e of r.timeline)
      doc.text(`${e.at}  ${e.event}  ${e.bankCode ?? 'all'}  ${e.detail.replace(/[^\x20-\x7e]/g, '?').slice(0, 120)}`);
    doc.end();
  });
}
