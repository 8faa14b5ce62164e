/**
 * The words of every notice, in Japanese and English. A template is a pair of functions over the notice's data;
 * each one reads only the fields it names, so a notice with missing data still renders (with "—").
 */
export type Locale = 'ja' | 'en';
export interface Rendered {
  subject: string;
  body: string;
}
type Data = Record<string, unknown>;
type Words = (d: Data) => Rendered;

const JST_OFFSET_MS = 9 * 60 * 60 * 1000;
const text = (v: unknown): string => (v === undefined || v === null || v === '' ? '—' : String(v));
const yen = (v: unknown): string => (typeof v === 'number' ? v.toLocaleString('en-US') : text(v));
/** An instant as Tokyo wall time, "2026-11-10 12:00 JST". */
const jst = (v: unknown): string => {
  const t = typeof v === 'string' || v instanceof Date ? new Date(v) : undefined;
  if (!t || Number.isNaN(t.getTime())) return text(v);
  return `${new Date(t.getTime() + JST_OFFSET_MS).toISOString().slice(0, 16).replace('T', ' ')} JST`;
};

export const NOTICE_TEMPLATES = {
  login_new_device: {
    ja: (d: Data) => ({
      subject: '【Saifu】新しい端末からのログイン',
      body: `${jst(d.at)} に新しい端末（${text(d.device)}、IP ${text(d.ip)}）から Saifu にログインがありました。お心当たりのない場合は、すぐにパスワードを変更し、サポートへご連絡ください。`,
    }),
    en: (d: Data) => ({
      subject: 'Saifu: sign-in from a new device',
      body: `Someone signed in to your Saifu account from a new device (${text(d.device)}, IP ${text(d.ip)}) at ${jst(d.at)}. If this was not you, change your password and contact Saifu support at once.`,
    }),
  },
  link_activated: {
    ja: (d: Data) => ({
      subject: '【Saifu】銀行口座の連携',
      body: `Saifu: 銀行口座（金融機関 ${text(d.bankCode)}、口座番号 末尾${text(d.last4)}）の連携が完了しました。お心当たりのない場合はサポートへご連絡ください。`,
    }),
    en: (d: Data) => ({
      subject: 'Saifu: bank account linked',
      body: `Saifu: your bank account (bank ${text(d.bankCode)}, …${text(d.last4)}) is now linked. If this was not you, contact Saifu support at once.`,
    }),
  },
  charge_succeeded: {
    ja: (d: Data) => ({
      subject: '【Saifu】チャージ完了',
      body: `銀行口座から ${yen(d.amount)}円 のチャージが完了しました（受付番号 ${text(d.chargeId)}）。`,
    }),
    en: (d: Data) => ({
      subject: 'Saifu: charge completed',
      body: `¥${yen(d.amount)} was charged to your Saifu wallet from your bank account (reference ${text(d.chargeId)}).`,
    }),
  },
  withdrawal_sent: {
    ja: (d: Data) => ({
      subject: '【Saifu】出金完了',
      body: `${yen(d.amount)}円 を銀行口座へ出金しました（受付番号 ${text(d.withdrawalId)}）。お心当たりのない場合はすぐにサポートへご連絡ください。`,
    }),
    en: (d: Data) => ({
      subject: 'Saifu: withdrawal sent',
      body: `¥${yen(d.amount)} was sent from your Saifu wallet to your bank account (reference ${text(d.withdrawalId)}). If this was not you, contact Saifu support at once.`,
    }),
  },
  account_locked: {
    ja: () => ({
      subject: '【Saifu】アカウントのロック',
      body: 'Saifu: ログインに5回失敗したため、アカウントを一時的にロックしました。お心当たりのない場合はパスワードを変更してください。',
    }),
    en: () => ({
      subject: 'Saifu: account locked',
      body: 'Saifu: after 5 failed sign-ins your account is locked for a while. If this was not you, change your password.',
    }),
  },
  wallet_frozen: {
    ja: () => ({
      subject: '【Saifu】ウォレットの凍結',
      body: 'Saifu: 不正利用の疑いがあるため、お客様のウォレットからの送金・出金・支払いを停止しました。詳しくはサポートへお問い合わせください。',
    }),
    en: () => ({
      subject: 'Saifu: wallet frozen',
      body: 'Saifu: payments, transfers and withdrawals from your wallet are stopped while a suspected misuse is looked into. Contact Saifu support for details.',
    }),
  },
} satisfies Record<string, Record<Locale, Words>>;

export type NoticeTemplate = keyof typeof NOTICE_TEMPLATES;

/** The subject and body of a notice in a locale; undefined for a name no template has. */
export function renderNotice(template: string, locale: Locale, data: Data): Rendered | undefined {
  const words = (NOTICE_TEMPLATES as Record<string, Record<Locale, Words>>)[template];
  return words?.[locale](data);
}
