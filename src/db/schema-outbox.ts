import type { ColumnType } from 'kysely';

type Ts = ColumnType<Date, Date | string, Date | string>;
type Nullable<T> = ColumnType<T | null, T | null | undefined, T | null>;

export type OutboxChannel = 'email' | 'sms' | 'bank_notice' | 'webhook';
export type OutboxStatus = 'pending' | 'sent' | 'dead';

/** Tables of the outbox area (Kysely types); written only by src/outbox, except user_devices (src/identity). */
export interface OutboxTables {
  outbox: {
    /** obx_…: also the delivery id every adapter passes on (SMTP Message-ID, Saifu-Delivery-Id). */
    id: string;
    channel: OutboxChannel;
    /** An email address, a phone number, or a webhook endpoint id (whe_…). */
    recipient: string;
    template: string;
    locale: 'ja' | 'en';
    /** JSON: the template's data. Never a one-time code (those go straight through the Notifier). */
    data: string;
    idempotency_key: Nullable<string>;
    status: OutboxStatus;
    attempts: ColumnType<number, number | undefined, number>;
    max_attempts: number;
    /** When the row is next due; a claimed row's lease (a dispatcher that dies lets it lapse). */
    next_attempt_at: Ts;
    last_error: Nullable<string>;
    created_at: Ts;
    updated_at: Ts;
    sent_at: Nullable<Date | string>;
  };
  outbox_deliveries: {
    id: string;
    outbox_id: string;
    attempt: number;
    status: 'sent' | 'failed';
    error: Nullable<string>;
    response_status: Nullable<number>;
    duration_ms: number;
    started_at: Ts;
  };
  webhook_endpoints: {
    id: string;
    /** Who the endpoint belongs to: a merchant id (mch_…) or a bank code (bank:0001). */
    owner: string;
    url: string;
    /** The signing secret, sealed (AES-256-GCM) under the server key. */
    secret: string;
    created_at: Ts;
    disabled_at: Nullable<Date | string>;
  };
  /** Devices a user has signed in from (identity): a sign-in from one not seen before is told to the user. */
  user_devices: {
    user_id: string;
    device: string;
    first_seen_at: Ts;
  };
}
