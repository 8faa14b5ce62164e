import type { Kysely, Transaction } from 'kysely';
import type { DB } from '../db/index.ts';
import type { Clock, NewId } from '../platform/index.ts';
import { createAssessor } from './assess.ts';
import type { RiskEngine } from './engine.ts';
import { type Assessment, assessmentStatements, restrictionsInForce, runAll } from './store.ts';

/**
 * What the flows (wallet, linking, identity) use of the risk engine: score an event before anything changes, store
 * the assessment (event, signals, decision, restrictions) in the transaction of the change it describes, and read
 * the restrictions in force. One object, bound in the composition root.
 */
export function createRiskPort(deps: { db: Kysely<DB>; clock: Clock; newId: NewId; engine: RiskEngine }) {
  const { db, engine } = deps;
  const assessor = createAssessor({
    clock: deps.clock,
    counters: engine.counters,
    newId: deps.newId,
    decide: engine.decide,
    shadow: engine.shadow,
    lists: engine.lists,
  });
  return {
    assess: assessor.assess,
    /** Statements storing the assessment, to join a single-statement money movement. */
    statements: (a: Assessment, objectId?: string) => assessmentStatements(db, a, objectId, deps.newId),
    /** Stores the assessment in the caller's transaction. */
    record: (trx: Transaction<DB>, a: Assessment, objectId?: string) =>
      runAll(trx, assessmentStatements(db, a, objectId, deps.newId)),
    restrictionsInForce: (q: Kysely<DB> | Transaction<DB>, userId: string) =>
      restrictionsInForce(q, userId, deps.clock.now()),
  };
}
export type RiskPortImpl = ReturnType<typeof createRiskPort>;
