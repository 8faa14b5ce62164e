import type { ColumnType } from 'kysely';

type Ts = ColumnType<Date, Date | string, Date | string>;
type Nullable<T> = ColumnType<T | null, T | null | undefined, T | null>;

/** Tables of the identity area (Kysely types). */
export interface IdentityTables {
  passkeys: {
    id: string;
    user_id: string;
    public_key: string;
    counter: ColumnType<number, number | undefined, number>;
    transports: ColumnType<string, string | undefined, string>;
    created_at: Ts;
    last_used_at: Nullable<Date | string>;
  };
  webauthn_challenges: {
    user_id: string;
    purpose: 'register' | 'step_up';
    challenge: string;
    expires_at: Ts;
  };
  step_up_codes: {
    session_id: string;
    code_hash: string;
    attempts: ColumnType<number, number | undefined, number>;
    expires_at: Ts;
  };
  identity_verifications: {
    id: string;
    user_id: string;
    status: 'verified' | 'rejected';
    reasons: string;
    family_name: string;
    given_name: string;
    family_name_kana: string;
    given_name_kana: string;
    birth_date: string;
    address: string;
    document_type: string;
    /** HMAC of the document's type and normalised number (migration 0011); null on rows from before it. */
    document_hash: Nullable<string>;
    /** Which of the document's allowed wallets this verified row holds (1 unless an operator allowed more). */
    document_slot: Nullable<number>;
    created_at: Ts;
  };
  document_allowances: {
    document_hash: string;
    max_wallets: number;
    reason: string;
    operator_id: string;
    updated_at: Ts;
  };
  factor_step_ups: {
    session_id: string;
    factor: 'totp' | 'passkey';
    until: Ts;
  };
  sandbox_identities: {
    id: string;
    family_name: string;
    given_name: string;
    family_name_kana: string;
    given_name_kana: string;
    birth_date: string;
    address: string;
    document_type: string;
    document_number: string;
    face_token: string;
    /** A counterfeit: its data and face may match, but the provider's authenticity check fails. */
    forged: ColumnType<boolean, boolean | undefined, boolean>;
    created_at: Ts;
  };
}
