/** Tables of the linking area (Kysely types). Add each table here as its migration creates it. */

export interface LinkingTables {}
