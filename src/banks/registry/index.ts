/**
 * banks/registry: reference data about banks, nothing about Saifu's state.
 * - registry.ts: every Japanese bank and branch from the Zengin code list (zengin-code), loaded once on first use.
 * - participating.ts: the 35 banks of the 2020 service and how each authenticates a link in the sandbox.
 * - japan-post.ts: Japan Post Bank's 記号・番号 → Zengin branch and account.
 * Invariants: pure (no I/O beyond reading the bundled data, no clock, no database); lists are sorted by code;
 * returned banks and branches are frozen shared objects; bank codes are 4 digits, branch codes 3, accounts 7.
 * Operator switches (participating, linking, charging) live in the database, not here.
 */
export * from './japan-post.ts';
export * from './participating.ts';
export * from './registry.ts';
