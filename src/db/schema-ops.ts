import type { ColumnType } from 'kysely';

/** Tables of the ops area (Kysely types). Add each table here as its migration creates it. */
export interface OpsTables {
  bank_switch_changes: {
    id: string;
    bank_code: string;
    /** JSON of the switches changed: {"linking": false, ...} */
    changes: string;
    reason: string;
    actor: string;
    created_at: ColumnType<Date, Date | string, Date | string>;
  };
}
