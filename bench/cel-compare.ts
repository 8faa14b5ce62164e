/**
 * CEL library comparison (`npm run bench:cel`): @marcbachmann/cel-js (what the risk engine uses) against
 * @bufbuild/cel on the default rule pack (src/risk/default-rules.yaml), compiled once, then every enabled rule
 * evaluated on one realistic event and its signals per rule-set evaluation: evaluations per second and p50/p99 per
 * rule-set evaluation. Both must fire the same rules on every input, or the bench stops. Then a conformance check:
 * a subset of the cel-spec conformance tests (@bufbuild/cel-spec) run against both libraries by a small harness
 * (no protobuf messages or containers: those tests are counted as skipped).
 * Env: BENCH_CEL_EVALS (200000), BENCH_CEL_CONFORMANCE (basic,comparisons,logic).
 */
import {
  CelScalar,
  celEnv,
  celUint,
  isCelError,
  isCelList,
  isCelMap,
  isCelUint,
  mapType,
  parse,
  plan,
  run,
} from '@bufbuild/cel';
import { tests as conformance } from '@bufbuild/cel-spec/testdata/conformance.js';
import { getTestRegistry } from '@bufbuild/cel-spec/testdata/registry.js';
import { evaluate } from '@marcbachmann/cel-js';
import { availableParallelism, loadavg } from 'node:os';
import { DEFAULT_RULES_YAML, compileExpression, riskEvent, ruleSetFromYaml, signalsOf } from '../src/risk/index.ts';
import { percentile, round } from './measure.ts';

const EVALS = Number(process.env.BENCH_CEL_EVALS ?? 200_000);
const FILES = (process.env.BENCH_CEL_CONFORMANCE ?? 'basic,comparisons,logic').split(',');

type Input = { event: ReturnType<typeof riskEvent>; signals: ReturnType<typeof signalsOf> };
type Program = (ctx: Input) => unknown;

/** 256 events, quiet and suspicious mixed (the same spread as bench/risk.ts). */
const inputs: Input[] = Array.from({ length: 256 }, (_, i) => ({
  event: riskEvent({
    type: (['charge', 'payment', 'transfer', 'withdrawal', 'link', 'signup'] as const)[i % 6] ?? 'charge',
    amount: 1_000 + ((i * 7919) % 120_000),
    userId: `usr_${i % 17}`,
    deviceId: `dev_${i % 11}`,
    ip: `203.0.113.${i % 50}`,
    recipientKind: i % 3 === 0 ? 'person' : 'merchant',
  }),
  signals: signalsOf({
    accountAgeHours: (i * 13) % 400,
    linkAgeHours: i % 48,
    limitRatio: (i % 10) / 10,
    userCharges24h: i % 5,
    userChargeSum24h: (i % 7) * 20_000,
    minutesSinceLastCharge: i % 60,
    lastChargeAmount: (i % 4) * 30_000,
    walletsPerDevice30d: 1 + (i % 5),
    walletsPerIp24h: 1 + (i % 12),
    pinFailuresPerPinValue1h: i % 7,
    recipientNewPayers24h: i % 8,
    tokyoHour: i % 24,
  }),
}));

/** The same inputs as Maps, converted beforehand: @bufbuild/cel's fastest input (the conversion is not timed). */
const mapInputs = inputs.map(
  (x) => ({ event: new Map(Object.entries(x.event)), signals: new Map(Object.entries(x.signals)) }) as unknown as Input,
);

const rules = ruleSetFromYaml(DEFAULT_RULES_YAML).rules.filter((r) => r.enabled);

function compileBoth() {
  let t = performance.now();
  const marc: Program[] = rules.map((r) => compileExpression(r.id, r.expression));
  const marcMs = performance.now() - t;
  const env = celEnv({
    variables: { event: mapType(CelScalar.STRING, CelScalar.DYN), signals: mapType(CelScalar.STRING, CelScalar.DYN) },
  });
  t = performance.now();
  const buf: Program[] = rules.map((r) => plan(env, parse(r.expression)) as Program);
  const bufMs = performance.now() - t;
  return { marc, buf, compileMs: { marc: round(marcMs, 2), buf: round(bufMs, 2) } };
}

/** One rule-set evaluation: every rule on one input; the fired rules as a bit mask. */
function evalSet(programs: Program[], x: Input): number {
  let fired = 0;
  for (let r = 0; r < programs.length; r++) if ((programs[r] as Program)(x) === true) fired |= 1 << r;
  return fired;
}

const ROUNDS = 10;
let sink = 0;

/** `n` rule-set evaluations; with `times`, each one timed into it from `at`. */
function runSet(programs: Program[], xs: Input[], n: number, times?: Float64Array, at = 0): number {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const t = times ? performance.now() : 0;
    sink ^= evalSet(programs, xs[i & 255] as Input);
    if (times) times[at + i] = performance.now() - t;
  }
  return performance.now() - t0;
}

/**
 * The variants in interleaved rounds (the machine may be shared: a burst of other work then hits every variant
 * alike): per round EVALS/ROUNDS untimed evaluations for the rate, then as many timed one by one for p50/p99.
 * The rate reported is the median round's.
 */
function measure(variants: Record<string, [Program[], Input[]]>) {
  const per = Math.ceil(EVALS / ROUNDS);
  const rates: Record<string, number[]> = {};
  const times: Record<string, Float64Array> = {};
  for (const [name, [programs, xs]] of Object.entries(variants)) {
    runSet(programs, xs, 20_000);
    rates[name] = [];
    times[name] = new Float64Array(per * ROUNDS);
  }
  for (let r = 0; r < ROUNDS; r++)
    for (const [name, [programs, xs]] of Object.entries(variants)) {
      rates[name]?.push(per / (runSet(programs, xs, per) / 1000));
      runSet(programs, xs, per, times[name], r * per);
    }
  return Object.fromEntries(
    Object.keys(variants).map((name) => {
      const sorted = Array.from(times[name] ?? []).sort((a, b) => a - b);
      const rate = (rates[name] ?? []).sort((a, b) => a - b);
      return [
        name,
        {
          evalsPerSecond: Math.round(percentile(rate, 50)),
          p50us: round(percentile(sorted, 50) * 1000, 2),
          p99us: round(percentile(sorted, 99) * 1000, 2),
        },
      ];
    }),
  );
}

// ---- conformance harness: cel.expr.Value (protobuf JSON) and each library's results in one canonical string ----

type Json = Record<string, unknown>;
const UNSUPPORTED = Symbol('unsupported');
const canonDouble = (n: number) => `double:${Object.is(n, -0) ? '-0' : String(n)}`;
const hex = (b: Uint8Array) => `bytes:${Buffer.from(b).toString('hex')}`;
const mapOf = (pairs: Array<[string, string]>) => `{${pairs.sort((a, b) => (a[0] < b[0] ? -1 : 1)).join(',')}}`;

/** The expected value of a test, or UNSUPPORTED (messages, enums). */
function expected(v: Json): string | typeof UNSUPPORTED {
  if ('int64Value' in v) return `int:${v.int64Value}`;
  if ('uint64Value' in v) return `uint:${v.uint64Value}`;
  if ('doubleValue' in v) return canonDouble(Number(v.doubleValue));
  if ('stringValue' in v) return `string:${JSON.stringify(v.stringValue)}`;
  if ('boolValue' in v) return `bool:${v.boolValue}`;
  if ('nullValue' in v) return 'null';
  if ('bytesValue' in v) return hex(Buffer.from(String(v.bytesValue), 'base64'));
  if ('typeValue' in v) return `type:${v.typeValue}`;
  if ('listValue' in v) {
    const items = ((v.listValue as Json).values as Json[] | undefined) ?? [];
    const out = items.map(expected);
    return out.includes(UNSUPPORTED) ? UNSUPPORTED : `[${out.join(',')}]`;
  }
  if ('mapValue' in v) {
    const entries = ((v.mapValue as Json).entries as Json[] | undefined) ?? [];
    const pairs = entries.map((e) => [expected(e.key as Json), expected(e.value as Json)]);
    return pairs.flat().includes(UNSUPPORTED) ? UNSUPPORTED : mapOf(pairs.map(([k, x]) => [String(k), String(x)]));
  }
  return UNSUPPORTED;
}

/** A result of either library as the same canonical string. */
function actual(v: unknown): string {
  if (typeof v === 'bigint') return `int:${v}`;
  if (typeof v === 'number') return canonDouble(v);
  if (typeof v === 'string') return `string:${JSON.stringify(v)}`;
  if (typeof v === 'boolean') return `bool:${v}`;
  if (v === null || v === undefined) return 'null';
  if (v instanceof Uint8Array) return hex(v);
  if (isCelUint(v)) return `uint:${v.value}`;
  const name = (v as object).constructor?.name;
  if (name === 'UnsignedInt') return `uint:${(v as { value: bigint }).value}`;
  if (name === 'Type')
    return `type:${String(v)
      .replace(/^Type<(.*)>$/, '$1')
      .replace(/^null$/, 'null_type')}`;
  if ((v as { kind?: string }).kind !== undefined && 'name' in (v as object))
    return `type:${(v as { name: string }).name}`;
  if (Array.isArray(v) || isCelList(v)) return `[${Array.from(v as Iterable<unknown>, actual).join(',')}]`;
  if (v instanceof Map || isCelMap(v))
    return mapOf(Array.from((v as Map<unknown, unknown>).entries(), ([k, x]) => [actual(k), actual(x)]));
  if (Object.getPrototypeOf(v) === Object.prototype)
    return mapOf(Object.entries(v as Json).map(([k, x]) => [actual(k), actual(x)]));
  return `?${name}`;
}

const MarcUint = (evaluate('0u') as object).constructor as new (v: bigint) => unknown;

/** A binding for a library: int as bigint, uint as the library's own type; UNSUPPORTED for messages. */
function input(v: Json, lib: 'marc' | 'buf'): unknown {
  if ('int64Value' in v) return BigInt(String(v.int64Value));
  if ('uint64Value' in v)
    return lib === 'marc' ? new MarcUint(BigInt(String(v.uint64Value))) : celUint(BigInt(String(v.uint64Value)));
  if ('doubleValue' in v) return Number(v.doubleValue);
  if ('stringValue' in v) return v.stringValue;
  if ('boolValue' in v) return v.boolValue;
  if ('nullValue' in v) return null;
  if ('bytesValue' in v) return new Uint8Array(Buffer.from(String(v.bytesValue), 'base64'));
  if ('listValue' in v) return (((v.listValue as Json).values as Json[] | undefined) ?? []).map((x) => input(x, lib));
  if ('mapValue' in v)
    return new Map(
      (((v.mapValue as Json).entries as Json[] | undefined) ?? []).map((e) => [
        input(e.key as Json, lib),
        input(e.value as Json, lib),
      ]),
    );
  return UNSUPPORTED;
}

interface ConformanceTest {
  name?: string;
  expr: string;
  value?: Json;
  evalError?: Json;
  bindings?: Record<string, { value?: Json }>;
  container?: string;
  checkOnly?: boolean;
  typedResult?: { result?: Json };
}

const registry = getTestRegistry();
const runners = {
  marc: (expr: string, ctx: Record<string, unknown>) => evaluate(expr, ctx) as unknown,
  buf: (expr: string, ctx: Record<string, unknown>) => {
    const r = run(expr, ctx as never, { registry });
    if (isCelError(r)) throw r;
    return r as unknown;
  },
};

/** 'pass' | 'fail' | 'skip' for one test on one library. */
function conformanceOf(t: ConformanceTest, lib: 'marc' | 'buf'): 'pass' | 'fail' | 'skip' {
  const want = t.value ?? t.typedResult?.result;
  if (t.container || t.checkOnly || (!want && !t.evalError)) return 'skip';
  const wanted = want ? expected(want) : undefined;
  if (wanted === UNSUPPORTED) return 'skip';
  const ctx: Record<string, unknown> = {};
  for (const [k, b] of Object.entries(t.bindings ?? {})) {
    const v = b.value ? input(b.value, lib) : UNSUPPORTED;
    if (v === UNSUPPORTED) return 'skip';
    ctx[k] = v;
  }
  try {
    const got = runners[lib](t.expr, ctx);
    return wanted !== undefined && actual(got) === wanted ? 'pass' : 'fail';
  } catch {
    return t.evalError ? 'pass' : 'fail';
  }
}

type Suite = { name: string; suites?: Suite[]; tests?: Array<{ original: ConformanceTest }> };
const testsOf = (s: Suite): ConformanceTest[] => [
  ...(s.tests ?? []).map((t) => t.original),
  ...(s.suites ?? []).flatMap(testsOf),
];

function conformanceReport() {
  const out: Record<string, Record<string, { pass: number; fail: number; skip: number }>> = {};
  const failures: string[] = [];
  for (const file of FILES) {
    const suite = (conformance as Suite).suites?.find((s) => s.name === file);
    if (!suite) throw new Error(`no conformance file ${file}`);
    for (const lib of ['marc', 'buf'] as const) {
      const counts = { pass: 0, fail: 0, skip: 0 };
      for (const t of testsOf(suite)) {
        const r = conformanceOf(t, lib);
        counts[r]++;
        if (r === 'fail' && lib === 'marc') failures.push(`${file}/${t.name}: ${t.expr}`);
      }
      out[file] = { ...out[file], [lib === 'marc' ? '@marcbachmann/cel-js' : '@bufbuild/cel']: counts };
    }
  }
  return { files: out, marcFailures: failures };
}

const { marc, buf, compileMs } = compileBoth();
for (const [i, x] of inputs.entries()) {
  const a = evalSet(marc, x);
  if (a !== evalSet(buf, x) || a !== evalSet(buf, mapInputs[i] as Input))
    throw new Error(`input ${i}: the libraries fire different rules`);
}
const firing = inputs.filter((x) => evalSet(marc, x) !== 0).length;
const perRuleSetEvaluation = measure({
  '@marcbachmann/cel-js': [marc, inputs],
  '@bufbuild/cel (plain objects)': [buf, inputs],
  '@bufbuild/cel (Maps)': [buf, mapInputs],
});
const report = {
  node: process.version,
  rules: rules.length,
  evaluations: EVALS,
  inputsFiringARule: `${firing}/${inputs.length}`,
  compileRuleSetMs: {
    '@marcbachmann/cel-js (parse + type check)': compileMs.marc,
    '@bufbuild/cel (parse + plan)': compileMs.buf,
  },
  perRuleSetEvaluation,
  load: `${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')} on ${availableParallelism()} CPUs`,
  conformance: conformanceReport(),
};
console.log(JSON.stringify(report, null, 2));
if (sink === -1) console.log(sink); // keeps the evaluations from being optimised away
