/**
 * cli: the `saifu` command (serve, migrate, seed, ledger verify, operators create, audit verify). Importing
 * this module runs the command line (bin/saifu.mjs does, under tsx); it calls areas only through their faces
 * and the composition root (main.ts, services.ts).
 */
await import('./main.ts');
export {};
