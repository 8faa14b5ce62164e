import type { SessionUser } from './service.ts';

/**
 * Every request authenticates; most come from the same few thousand sessions. Keeping a session's user for a
 * second saves a query per request. Anything that changes what the entry says (sign-out, step-up, a freeze)
 * forgets it at once in this process; another process sees the change within `ttlMs`.
 */
export function createSessionCache(ttlMs = 1_000, maxEntries = 50_000) {
  const entries = new Map<string, { user: SessionUser; until: number }>();
  return {
    get(tokenHash: string, nowMs: number): SessionUser | undefined {
      const e = entries.get(tokenHash);
      if (!e) return undefined;
      if (e.until <= nowMs) {
        entries.delete(tokenHash);
        return undefined;
      }
      return e.user;
    },
    set(tokenHash: string, user: SessionUser, nowMs: number): void {
      if (entries.size >= maxEntries) entries.clear();
      entries.set(tokenHash, { user, until: nowMs + ttlMs });
    },
    forgetToken(tokenHash: string): void {
      entries.delete(tokenHash);
    },
    forgetWhere(match: (user: SessionUser) => boolean): void {
      for (const [k, e] of entries) if (match(e.user)) entries.delete(k);
    },
  };
}
export type SessionCache = ReturnType<typeof createSessionCache>;
