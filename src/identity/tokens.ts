import { createHash } from 'node:crypto';

/** Tokens and codes are stored as SHA-256: high-entropy secrets need no slow hash, only never being in clear. */
export const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');
