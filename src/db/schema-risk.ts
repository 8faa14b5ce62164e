import type { ColumnType } from 'kysely';

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
  };
}
