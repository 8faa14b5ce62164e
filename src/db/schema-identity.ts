/** Tables of the identity area (Kysely types). Add each table here as its migration creates it. */

export interface IdentityTables {}
