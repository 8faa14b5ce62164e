import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../platform/index.ts';

/*
 * The edge refuses input the database cannot store or the API does not accept, before any route sees it:
 * NUL characters (PostgreSQL text cannot hold U+0000), invalid UTF-8, lone UTF-16 surrogates, and integer-yen
 * fields written as `1e3` or `100.0` (JSON.parse would turn them into integers and hide the difference).
 * Everything here answers 400 in the API's error shape; nothing reaches a route, a use case or the database.
 */

const utf8 = new TextDecoder('utf-8', { fatal: true });
/** A high surrogate not followed by a low one, or a low one not preceded by a high one. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
/** Fields that are integer yen (docs/api.md): the amount of every money request, the sandbox bank's opening balance. */
const YEN_FIELDS = new Set(['amount', 'balance']);

/** Why a string cannot be accepted, or undefined when it can. */
export function unstorable(s: string): string | undefined {
  if (s.includes('\u0000')) return 'contains a NUL character (U+0000)';
  if (LONE_SURROGATE.test(s)) return 'contains an unpaired UTF-16 surrogate (not a Unicode character)';
  return undefined;
}

/** The first string (key or value) in a parsed JSON value that cannot be stored, with its path. */
export function findUnstorable(value: unknown, path = ''): { path: string; reason: string } | undefined {
  if (typeof value === 'string') {
    const reason = unstorable(value);
    return reason ? { path: path || '(body)', reason } : undefined;
  }
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) {
      const found = findUnstorable(v, `${path}[${i}]`);
      if (found) return found;
    }
    return undefined;
  }
  if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      const at = path ? `${path}.${k}` : k;
      const reason = unstorable(k);
      if (reason) return { path: at, reason: `has a key that ${reason}` };
      const found = findUnstorable(v, at);
      if (found) return found;
    }
  }
  return undefined;
}

/**
 * Keys whose value in the raw JSON text is a number literal with a fraction or an exponent (`"amount": 1e3`).
 * A small scanner rather than a regex so that text inside string values (a description quoting JSON) never counts.
 */
export function nonIntegerLiteralKeys(text: string): string[] {
  const keys: string[] = [];
  let lastString: string | undefined;
  let key: string | undefined;
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      lastString = text.slice(i + 1, j);
      i = j + 1;
      continue;
    }
    if (c === ':') key = lastString;
    else if (c === '-' || (c >= '0' && c <= '9')) {
      const literal = /^-?\d+(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400))?.[0] ?? c;
      if (key !== undefined && /[.eE]/.test(literal)) keys.push(key);
      i += literal.length;
      continue;
    } else if (c === ',' || c === '{' || c === '[') key = undefined;
    i++;
  }
  return keys;
}

/** Decodes and parses a JSON body strictly: UTF-8 only, no NUL or lone surrogates, integer yen written as integers. */
export function parseJsonBody(raw: Buffer, parse: (text: string) => unknown): unknown {
  let text: string;
  try {
    text = utf8.decode(raw);
  } catch {
    throw new AppError('invalid_request', 'the body is not valid UTF-8: send JSON encoded as UTF-8');
  }
  const value = parse(text);
  const bad = findUnstorable(value);
  if (bad) throw new AppError('invalid_request', `invalid body: ${bad.path} ${bad.reason}`, { path: bad.path });
  const yen = nonIntegerLiteralKeys(text).find((k) => YEN_FIELDS.has(k));
  if (yen)
    throw new AppError(
      'invalid_amount',
      `${yen} must be an integer number of yen written without a fraction or exponent (e.g. 1000, not 1e3 or 1000.0)`,
      { field: yen },
    );
  return value;
}

/** Headers whose values become input (ids, keys, tokens): no control characters, NUL included. */
const INPUT_HEADERS = ['x-device-id', 'idempotency-key', 'authorization', 'x-forwarded-for'];

/** Checks the URL (path and query, percent-decoded) and the input headers of a request; throws a 400 AppError. */
export function assertCleanRequest(req: FastifyRequest): void {
  const url = req.raw.url ?? req.url;
  const q = url.indexOf('?');
  const parts: Array<[string, string]> = [['path', q < 0 ? url : url.slice(0, q)]];
  if (q >= 0) parts.push(['query string', url.slice(q + 1).replaceAll('+', ' ')]);
  for (const [where, part] of parts) {
    let decoded: string;
    try {
      decoded = decodeURIComponent(part);
    } catch {
      throw new AppError(
        'invalid_request',
        `the ${where} has a malformed percent-encoding or is not UTF-8 once decoded`,
      );
    }
    const reason = unstorable(decoded);
    if (reason) throw new AppError('invalid_request', `the ${where} ${reason}`);
  }
  for (const name of INPUT_HEADERS) {
    const value = req.headers[name];
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what is refused
    if (typeof value === 'string' && /[\u0000-\u0008\u000A-\u001F\u007F]/.test(value))
      throw new AppError('invalid_request', `the ${name} header contains a control character`);
  }
}

/** Installs the strict JSON parser and the URL/header check on an app. */
export function guardInput(app: FastifyInstance): void {
  const defaultJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (req, body, done) => {
    const raw = body as Buffer;
    try {
      const value = parseJsonBody(raw, (text) => {
        const out: { err: Error | null; value: unknown } = { err: null, value: undefined };
        defaultJson(req, text, (err, v) => {
          out.err = err;
          out.value = v;
        });
        if (out.err) throw out.err;
        return out.value;
      });
      done(null, value);
    } catch (e) {
      done(e as Error, undefined);
    }
  });
  app.addHook('onRequest', async (req) => assertCleanRequest(req));
}
