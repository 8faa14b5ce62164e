import { readFileSync } from 'node:fs';
import type { Kysely, Transaction } from 'kysely';
import { type DB, inTransaction, isUniqueViolation } from '../db/index.ts';
import { AppError, type Clock, type NewId } from '../platform/index.ts';
import type { Counters } from './counters.ts';
import { type Decision, decide } from './decide.ts';
import { type RuleSetDocument, ruleSetFromYaml, ruleSetToYaml } from './documents.ts';
import * as repo from './repository.ts';
import { type CompiledRuleSet, compileRuleSet } from './rules.ts';
import type { RiskEvent, Signals } from './vocabulary.ts';
import {
  type ListKind,
  type ListName,
  createListIndex,
  liveEntries,
  normaliseListValue,
  pageEntries,
  removeEntry,
  upsertEntry,
} from './lists.ts';
import type { ShadowDecision } from './store.ts';

export type AuditPort = (
  trx: Transaction<DB>,
  e: { actor: string; action: string; target: string; details?: Record<string, unknown> },
) => Promise<unknown>;

export interface RiskDeps {
  db: Kysely<DB>;
  clock: Clock;
  counters: Counters;
  /** ops: the audit chain; every rule-set change is audited in its own transaction. */
  audit: AuditPort;
  newId: NewId;
}

/** The default pack (src/risk/default-rules.yaml): version 0, in force while no version has been published. */
export const DEFAULT_RULES_YAML = readFileSync(new URL('./default-rules.yaml', import.meta.url), 'utf8');
export const defaultRuleSet = (): CompiledRuleSet => compileRuleSet(0, ruleSetFromYaml(DEFAULT_RULES_YAML).rules);

const MAX_NOTE = 1000;

/**
 * The risk engine: rule sets versioned in the database (draft → published by a second operator → retired; roll
 * back = publish an earlier version again), the published one compiled once and held in memory, and `decide`
 * over it. `refresh()` picks up a version published by another process (the composition root calls it on a timer).
 */
export function createRiskEngine(deps: RiskDeps) {
  const { db, clock } = deps;
  let current: CompiledRuleSet = defaultRuleSet();
  /** Compiled versions by number: a version's rules never change, so compile once. */
  const compiled = new Map<number, CompiledRuleSet>([[0, current]]);
  /** The draft run beside `current` on live traffic (decisions stored, not enforced). */
  let shadowSet: CompiledRuleSet | undefined;
  const lists = createListIndex();

  const compiledVersion = (version: number, yaml: string): CompiledRuleSet => {
    let set = compiled.get(version);
    if (!set) {
      set = compileRuleSet(version, ruleSetFromYaml(yaml).rules);
      compiled.set(version, set);
    }
    return set;
  };

  /** Validates (compiles) the rules and stores them as a new draft version. */
  async function createDraft(actor: string, doc: RuleSetDocument | string, note = ''): Promise<{ version: number }> {
    const rules = typeof doc === 'string' ? ruleSetFromYaml(doc).rules : doc.rules;
    compileRuleSet(0, rules);
    if (note.length > MAX_NOTE) throw new AppError('invalid_request', `note is at most ${MAX_NOTE} characters`);
    const yaml = ruleSetToYaml({ rules });
    for (let attempt = 1; ; attempt++) {
      try {
        const version = await inTransaction(db, async (trx) => {
          const v = await repo.insertDraft(trx, { yaml, note, createdBy: actor, at: clock.now() });
          await deps.audit(trx, { actor, action: 'risk.rule_set.draft', target: `rule_set:${v}`, details: { note } });
          return v;
        });
        return { version };
      } catch (e) {
        if (!isUniqueViolation(e) || attempt >= 3) throw e;
      }
    }
  }

  async function switchTo(version: number, actor: string, mode: 'publish' | 'rollback'): Promise<CompiledRuleSet> {
    const set = await inTransaction(db, async (trx) => {
      const row = await repo.ruleSetForUpdate(trx, version);
      if (!row) throw new AppError('not_found', `no rule set version ${version}`);
      if (mode === 'publish') {
        if (row.status !== 'draft')
          throw new AppError('invalid_state', `version ${version} is ${row.status}, not a draft`);
        if (row.created_by === actor)
          throw new AppError('self_approval', 'a rule set must be published by an operator other than its author', {
            version,
          });
      } else if (row.status !== 'retired')
        throw new AppError(
          'invalid_state',
          `only a retired (earlier published) version can be restored; ${version} is ${row.status}`,
        );
      const set = compiledVersion(version, row.yaml);
      const previous = await repo.publishedVersion(trx);
      await repo.markPublished(trx, version, { ...(mode === 'publish' ? { approvedBy: actor } : {}), at: clock.now() });
      await deps.audit(trx, {
        actor,
        action: `risk.rule_set.${mode}`,
        target: `rule_set:${version}`,
        details: { previous, author: row.created_by },
      });
      return set;
    });
    current = set;
    return set;
  }

  return {
    createDraft,
    /** Maker-checker: `approver` must not be the draft's author (self_approval). Hot-swaps this process at once. */
    publish: (version: number, approver: string) => switchTo(version, approver, 'publish').then(() => ({ version })),
    /** Publishes an earlier (retired) version again; it was approved when first published. */
    rollback: (version: number, actor: string) => switchTo(version, actor, 'rollback').then(() => ({ version })),
    list: (limit = 100) => repo.ruleSets(db, Math.min(Math.max(limit, 1), 100)),
    async get(version: number) {
      const row = await repo.ruleSet(db, version);
      if (!row) throw new AppError('not_found', `no rule set version ${version}`);
      return row;
    },
    /** The version's YAML (version 0: the default pack). */
    async exportYaml(version: number): Promise<string> {
      if (version === 0) return ruleSetToYaml(ruleSetFromYaml(DEFAULT_RULES_YAML));
      const row = await repo.ruleSet(db, version);
      if (!row) throw new AppError('not_found', `no rule set version ${version}`);
      return row.yaml;
    },
    importYaml: (actor: string, yaml: string, note = 'imported') => createDraft(actor, yaml, note),
    /**
     * Loads the published version if it is not the one in memory, the shadowed draft, and the lists (poll every
     * few seconds: another process may have changed them).
     */
    async refresh(): Promise<number> {
      const version = await repo.publishedVersion(db);
      if (version !== current.version) {
        if (version === 0) current = compiled.get(0) ?? defaultRuleSet();
        else {
          const row = await repo.ruleSet(db, version);
          if (row) current = compiledVersion(version, row.yaml);
        }
      }
      const shadow = await repo.shadowRuleSet(db);
      shadowSet = shadow ? compiledVersion(shadow.version, shadow.yaml) : undefined;
      lists.replace(await liveEntries(db, clock.now()));
      return current.version;
    },
    current: (): CompiledRuleSet => current,
    /** Compiles (once) and returns any stored version: back-tests replay events on it. */
    async version(version: number): Promise<CompiledRuleSet> {
      if (version === 0) return compiled.get(0) ?? defaultRuleSet();
      const row = await repo.ruleSet(db, version);
      if (!row) throw new AppError('not_found', `no rule set version ${version}`);
      return compiledVersion(version, row.yaml);
    },
    /** Scores one event on the rule set in memory: synchronous, no I/O. */
    decide: (event: RiskEvent, signals: Signals, at: Date = clock.now()): Decision =>
      decide(event, signals, current, at),
    /** What the shadowed draft (if any) decides on the same event; never enforced. */
    shadow(event: RiskEvent, signals: Signals, at: Date = clock.now()): ShadowDecision | undefined {
      if (!shadowSet) return undefined;
      const d = decide(event, signals, shadowSet, at);
      return { version: shadowSet.version, decision: d.decision, score: d.score, reasons: d.reasons };
    },
    /** Runs a draft on live traffic beside the published version (null stops it); audited. */
    async setShadow(version: number | null, actor: string): Promise<{ version: number | null }> {
      const set = await inTransaction(db, async (trx) => {
        let next: CompiledRuleSet | undefined;
        if (version !== null) {
          const row = await repo.ruleSetForUpdate(trx, version);
          if (!row) throw new AppError('not_found', `no rule set version ${version}`);
          if (row.status !== 'draft')
            throw new AppError('invalid_state', `only a draft can be shadowed; ${version} is ${row.status}`);
          next = compiledVersion(version, row.yaml);
        }
        const previous = await repo.setShadow(trx, version);
        await deps.audit(trx, {
          actor,
          action: version === null ? 'risk.rule_set.shadow_stop' : 'risk.rule_set.shadow',
          target: `rule_set:${version ?? previous ?? 0}`,
          details: { previous },
        });
        return next;
      });
      shadowSet = set;
      return { version };
    },
    shadowVersion: (): number | null => shadowSet?.version ?? null,
    lists,
    /** Adds (or extends) a block, allow or watch list entry; audited; in force in this process at once. */
    async addToList(
      actor: string,
      e: { list: ListName; kind: ListKind; value: string; reason: string; expiresAt?: Date | null },
      trx?: Transaction<DB>,
    ) {
      const at = clock.now();
      if (e.expiresAt && e.expiresAt.getTime() <= at.getTime())
        throw new AppError('invalid_request', 'expiresAt must be in the future');
      const write = async (t: Transaction<DB>) => {
        const entry = await upsertEntry(t, {
          id: deps.newId('lst'),
          list: e.list,
          kind: e.kind,
          value: normaliseListValue(e.kind, e.value),
          reason: e.reason,
          expiresAt: e.expiresAt ?? null,
          by: actor,
          at,
        });
        await deps.audit(t, {
          actor,
          action: `risk.list.add`,
          target: `list:${entry.list}:${entry.kind}`,
          details: { id: entry.id, value: entry.value, reason: entry.reason, expiresAt: entry.expiresAt },
        });
        return entry;
      };
      const entry = trx ? await write(trx) : await inTransaction(db, write);
      lists.add(entry.list, entry.kind, entry.value, entry.expiresAt);
      return entry;
    },
    async removeFromList(actor: string, id: string, reason: string) {
      const entry = await inTransaction(db, async (trx) => {
        const removed = await removeEntry(trx, id, actor, clock.now());
        if (!removed) throw new AppError('not_found', `no live list entry ${id}`);
        await deps.audit(trx, {
          actor,
          action: 'risk.list.remove',
          target: `list:${removed.list}:${removed.kind}`,
          details: { id, value: removed.value, reason },
        });
        return removed;
      });
      lists.remove(entry.list, entry.kind, entry.value);
      return entry;
    },
    listEntries: (f: { list?: ListName; kind?: ListKind; value?: string; after?: string; limit?: number }) =>
      pageEntries(db, { ...f, limit: Math.min(Math.max(f.limit ?? 50, 1), 100) }, clock.now()),
    counters: deps.counters,
  };
}
export type RiskEngine = ReturnType<typeof createRiskEngine>;
