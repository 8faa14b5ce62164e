import { createRequire } from 'node:module';

export type Bank = { code: string; name: string; nameKana: string; nameHalfKana?: string };
export type Branch = { code: string; name: string; nameKana: string };

/** What the registry holds after loading; exposed so health checks and benchmarks can see the cost. */
export type RegistryStats = { banks: number; branches: number; loadMs: number };

/**
 * The only fields of zengin-code's records we rely on. The package (lib/zengin-data.js, ~5 MB of CommonJS)
 * exports `{ [bankCode]: { code, name, kana, hira, roma, branches: { [branchCode]: {...} } } }`; its README
 * shows branches as an array, so both shapes are accepted rather than trusting either.
 */
interface RawRecord {
  code?: unknown;
  name?: unknown;
  kana?: unknown;
  branches?: unknown;
}

interface BankEntry {
  bank: Bank;
  key: string;
  branches: ReadonlyArray<{ branch: Branch; key: string }>;
  branchByCode: ReadonlyMap<string, Branch>;
}

interface Registry {
  banks: readonly BankEntry[];
  byCode: ReadonlyMap<string, BankEntry>;
  stats: RegistryStats;
}

let cache: Registry | undefined;

const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null;

/** Loads the package's export; ESM interop can wrap a CommonJS export in `{ default }`. */
function loadRaw(): unknown {
  const mod: unknown = createRequire(import.meta.url)('zengin-code');
  if (isRecord(mod) && isRecord(mod.default) && !('0001' in mod)) return mod.default;
  return mod;
}

/** Records from either `{ code: record }` or `[record]`, paired with the key the code may have to come from. */
function recordsOf(collection: unknown): Array<[string, RawRecord]> {
  if (Array.isArray(collection)) return collection.filter(isRecord).map((r) => ['', r]);
  if (isRecord(collection))
    return Object.entries(collection).flatMap(([k, r]) => (isRecord(r) ? [[k, r] as [string, RawRecord]] : []));
  return [];
}

/** A record with a code of the expected width and string names, or undefined so one bad row can't poison the rest. */
function parseRecord(
  key: string,
  r: RawRecord,
  width: number,
): { code: string; name: string; kana: string } | undefined {
  const code = typeof r.code === 'string' ? r.code : key;
  if (!new RegExp(`^\\d{${width}}$`).test(code) || typeof r.name !== 'string' || typeof r.kana !== 'string')
    return undefined;
  return { code, name: r.name, kana: r.kana };
}

const byCodeAsc = <T extends { code: string }>(a: T, b: T) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0);

function buildBank(key: string, r: RawRecord): BankEntry | undefined {
  const p = parseRecord(key, r, 4);
  if (!p) return undefined;
  const branches = recordsOf(r.branches)
    .flatMap(([k, br]) => {
      const b = parseRecord(k, br, 3);
      return b ? [Object.freeze({ code: b.code, name: b.name, nameKana: b.kana })] : [];
    })
    .sort(byCodeAsc);
  const bank: Bank = Object.freeze({
    code: p.code,
    name: p.name,
    nameKana: p.kana,
    nameHalfKana: toHalfWidthKana(p.kana),
  });
  return {
    bank,
    key: entryKey(p.name, p.kana),
    branches: branches.map((branch) => ({ branch, key: entryKey(branch.name, branch.nameKana) })),
    branchByCode: new Map(branches.map((b) => [b.code, b])),
  };
}

/** Loaded on first use, not at import: parsing ~5 MB costs 100–200 ms and most processes (CLI, migrations) never need it. */
function registry(): Registry {
  if (cache) return cache;
  const started = performance.now();
  const banks = recordsOf(loadRaw())
    .flatMap(([k, r]) => buildBank(k, r) ?? [])
    .sort((a, b) => byCodeAsc(a.bank, b.bank));
  // An empty registry would make every bank "unknown" and fail links confusingly; fail loudly instead.
  if (banks.length === 0)
    throw new Error('zengin-code: no banks found; the package layout is not the one this loader understands');
  const branches = banks.reduce((n, b) => n + b.branches.length, 0);
  cache = {
    banks,
    byCode: new Map(banks.map((b) => [b.bank.code, b])),
    stats: { banks: banks.length, branches, loadMs: Math.round(performance.now() - started) },
  };
  return cache;
}

const SMALL_TO_LARGE: Record<string, string> = {
  ァ: 'ア',
  ィ: 'イ',
  ゥ: 'ウ',
  ェ: 'エ',
  ォ: 'オ',
  ャ: 'ヤ',
  ュ: 'ユ',
  ョ: 'ヨ',
  ッ: 'ツ',
  ヮ: 'ワ',
  ヵ: 'カ',
  ヶ: 'ケ',
};

/**
 * One comparable form for what people type and what the data holds: hiragana becomes katakana (the data's kana
 * is katakana), small kana full-size (Zengin writes ユウチヨ, people type ゆうちょ), every long-vowel look-alike one
 * mark (the data has ソニ－ with a full-width minus), no spaces, Latin upper-case.
 */
export function searchKey(s: string): string {
  return s
    .normalize('NFKC')
    .replace(/[\u3041-\u3096]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0x60))
    .replace(/[ァィゥェォャュョッヮヵヶ]/g, (c) => SMALL_TO_LARGE[c] ?? c)
    .replace(/[-‐‑–—―−ｰ]/g, 'ー')
    .replace(/[\s\p{Cc}]+/gu, '')
    .toUpperCase();
}

/** Name and kana keyed apart and joined by a character no query key can contain, so a match never straddles both. */
const entryKey = (name: string, kana: string) => `${searchKey(name)}\u0000${searchKey(kana)}`;

/** People add the word the data leaves out (みずほ銀行, 本店支店); dropping it keeps such queries matching. */
function queryKey(q: string, suffixes: readonly string[]): string {
  const key = searchKey(q);
  const suffix = suffixes.find((s) => key.endsWith(s) && key.length > s.length);
  return suffix ? key.slice(0, -suffix.length) : key;
}

const BANK_SUFFIXES = ['銀行', 'ギンコウ'];
const BRANCH_SUFFIXES = ['支店', 'シテン'];

function matcher(q: string | undefined, suffixes: readonly string[]): (code: string, key: string) => boolean {
  const trimmed = q?.normalize('NFKC').trim() ?? '';
  if (!trimmed) return () => true;
  const key = queryKey(trimmed, suffixes);
  return (code, k) => code.startsWith(trimmed) || (key !== '' && k.includes(key));
}

/** All banks, or those whose code starts with q or whose name or kana contains it (hiragana or katakana). */
export function listBanks(q?: string): Bank[] {
  const match = matcher(q, BANK_SUFFIXES);
  return registry()
    .banks.filter((e) => match(e.bank.code, e.key))
    .map((e) => e.bank);
}

export function findBank(code: string): Bank | undefined {
  return registry().byCode.get(code)?.bank;
}

/** undefined when the bank is unknown, so callers can tell "no such bank" from "no branch matched". */
export function listBranches(bankCode: string, q?: string): Branch[] | undefined {
  const entry = registry().byCode.get(bankCode);
  if (!entry) return undefined;
  const match = matcher(q, BRANCH_SUFFIXES);
  return entry.branches.filter((b) => match(b.branch.code, b.key)).map((b) => b.branch);
}

export function findBranch(bankCode: string, branchCode: string): Branch | undefined {
  return registry().byCode.get(bankCode)?.branchByCode.get(branchCode);
}

export function registryStats(): RegistryStats {
  return { ...registry().stats };
}

const FULL_KANA =
  'アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワヲンァィゥェォャュョッー。「」、・';
const HALF_KANA = 'ｱｲｳｴｵｶｷｸｹｺｻｼｽｾｿﾀﾁﾂﾃﾄﾅﾆﾇﾈﾉﾊﾋﾌﾍﾎﾏﾐﾑﾒﾓﾔﾕﾖﾗﾘﾙﾚﾛﾜｦﾝｧｨｩｪｫｬｭｮｯｰ｡｢｣､･';
const HALF_OF = new Map([...FULL_KANA].map((c, i) => [c, HALF_KANA[i] ?? c]));

/**
 * The half-width form banks put on the wire (ﾐｽﾞﾎ). Voiced kana are split by NFD into base + combining mark,
 * which half-width writes as two characters; everything else (Ａ, －, 　) goes through NFKC.
 */
export function toHalfWidthKana(s: string): string {
  return [...s.normalize('NFD')]
    .map((c) => (c === '\u3099' ? 'ﾞ' : c === '\u309a' ? 'ﾟ' : (HALF_OF.get(c) ?? c.normalize('NFKC'))))
    .join('');
}
