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

const SMALL: Record<string, string> = { ァ: 'ア', ィ: 'イ', ゥ: 'ウ', ェ: 'エ', ォ: 'オ', ャ: 'ヤ', ュ: 'ユ', ョ: 'ヨ', ッ: 'ツ', ヮ: 'ワ' };
/** Hiragana typed by a person matches the data's katakana, which writes small kana full-size (Zengin style). */
const toKanaKey = (s: string) =>
  s
    .normalize('NFKC')
    .replace(/[\u3041-\u3096]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0x60))
    .replace(/[ァィゥェォャュョッヮ]/g, (c) => SMALL[c] ?? c);

function matches(entry: { code: string; name: string; nameKana: string }, q: string | undefined): boolean {
  if (!q?.trim()) return true;
  const raw = q.trim();
  return entry.code.startsWith(raw) || entry.name.includes(raw) || toKanaKey(entry.nameKana).includes(toKanaKey(raw));
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
