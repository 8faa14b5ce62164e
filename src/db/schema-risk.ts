import type { ColumnType, Generated } from 'kysely';

type Ts = ColumnType<Date, Date | string, Date | string>;
type Nullable<T> = ColumnType<T | null, T | null | undefined, T | null>;

/** Tables of the risk area (Kysely types); written only by src/risk. */
export interface RiskTables {
  risk_rule_sets: {
    version: number;
    status: 'draft' | 'published' | 'retired';
    yaml: string;
    note: ColumnType<string, string | undefined, string>;
    created_by: string;
    approved_by: Nullable<string>;
    created_at: Ts;
    published_at: Nullable<Date | string>;
    shadow: ColumnType<boolean, boolean | undefined, boolean>;
  };
  risk_events: {
    id: string;
    seq: Generated<string | number>;
    type: string;
    user_id: string;
    object_id: Nullable<string>;
    amount: ColumnType<number, number | undefined, number>;
    occurred_at: Ts;
    /** JSON: the RiskEvent. */
    event: string;
    /** JSON: the Signals as they were at decision time. */
    signals: string;
    decision: 'allow' | 'challenge' | 'review' | 'deny';
    score: number;
    /** JSON: [{rule, message}]. */
    reasons: string;
    rule_set_version: number;
    enforced: ColumnType<boolean, boolean | undefined, boolean>;
    /** JSON: {version, decision, score, reasons} of the shadowed draft, if one ran. */
    shadow: Nullable<string>;
    label: Nullable<'fraud' | 'not_fraud'>;
    labelled_by: Nullable<string>;
    labelled_at: Nullable<Date | string>;
  };
  risk_restrictions: {
    id: string;
    user_id: string;
    link_id: Nullable<string>;
    type: 'charge_daily_cap' | 'no_outgoing_transfers' | 'withdrawals_to_charging_account_only' | 'merchants_only';
    limit_yen: Nullable<number>;
    until: Ts;
    message: string;
    rule: string;
    event_id: Nullable<string>;
    created_at: Ts;
  };
  risk_lists: {
    id: string;
    list: 'block' | 'allow' | 'watch';
    kind: 'email' | 'phone' | 'device' | 'ip' | 'bank_account' | 'merchant' | 'recipient' | 'user';
    value: string;
    reason: string;
    expires_at: Nullable<Date | string>;
    created_by: string;
    created_at: Ts;
    removed_by: Nullable<string>;
    removed_at: Nullable<Date | string>;
  };
}
