import { createRequire } from 'node:module';

export interface Bank {
  code: string;
  name: string;
  nameKana: string;
}
export interface Branch {
  code: string;
  name: string;
  nameKana: string;
}

interface ZenginBranch {
  code: string;
  name: string;
  kana: string;
}
interface ZenginBank extends ZenginBranch {
  branches: Record<string, ZenginBranch>;
}

let cache: Map<string, { bank: Bank; branches: Branch[] }> | undefined;

/** The Zengin code list (all Japanese banks and branches), loaded once on first use. */
function data(): Map<string, { bank: Bank; branches: Branch[] }> {
  if (cache) return cache;
  const raw = createRequire(import.meta.url)('zengin-code') as Record<string, ZenginBank>;
  cache = new Map(
    Object.values(raw)
      .sort((a, b) => a.code.localeCompare(b.code))
      .map((b) => [
        b.code,
        {
          bank: { code: b.code, name: b.name, nameKana: b.kana },
          branches: Object.values(b.branches)
            .sort((x, y) => x.code.localeCompare(y.code))
            .map((br) => ({ code: br.code, name: br.name, nameKana: br.kana })),
        },
      ]),
  );
  return cache;
}

/** Hiragana typed by a person matches the katakana of the data. */
const toKatakana = (s: string) => s.replace(/[\u3041-\u3096]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0x60));

function matches(entry: { code: string; name: string; nameKana: string }, q: string | undefined): boolean {
  if (!q) return true;
  const k = toKatakana(q.trim());
  return entry.code.startsWith(k) || entry.name.includes(k) || entry.nameKana.includes(k);
}

export function listBanks(q?: string): Bank[] {
  return [...data().values()].map((e) => e.bank).filter((b) => matches(b, q));
}

export function findBank(code: string): Bank | undefined {
  return data().get(code)?.bank;
}

/** undefined when the bank is unknown. */
export function listBranches(bankCode: string, q?: string): Branch[] | undefined {
  return data().get(bankCode)?.branches.filter((b) => matches(b, q));
}

export function findBranch(bankCode: string, branchCode: string): Branch | undefined {
  return data().get(bankCode)?.branches.find((b) => b.code === branchCode);
}
