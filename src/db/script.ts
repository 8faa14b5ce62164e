import { type Kysely, sql } from 'kysely';

/**
 * Runs a multi-statement DDL script one statement at a time: PGlite's query path (the extended protocol)
 * takes one statement per call, and running them singly gives the same behaviour on PostgreSQL.
 */
export async function executeScript(db: Kysely<unknown>, script: string): Promise<void> {
  for (const statement of splitStatements(script)) await sql.raw(statement).execute(db);
}

/** Splits on semicolons that end a line, except inside $$-quoted function bodies. */
export function splitStatements(script: string): string[] {
  const out: string[] = [];
  let current = '';
  let inDollar = false;
  for (const line of script.split('\n')) {
    current += `${line}\n`;
    if ((line.match(/\$\$/g) ?? []).length % 2 === 1) inDollar = !inDollar;
    if (!inDollar && /;\s*$/.test(line)) {
      const s = current.trim();
      if (s.replace(/--.*$/gm, '').trim() !== '') out.push(s);
      current = '';
    }
  }
  if (current.replace(/--.*$/gm, '').trim() !== '') out.push(current.trim());
  return out;
}
