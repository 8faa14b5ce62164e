/**
 * banks/registry: the Zengin code list of Japanese banks and branches (zengin-code), the 35 participating
 * banks with their authentication methods, and Japan Post Bank's symbol/number conversion. Pure: no I/O
 * beyond loading the bundled data once.
 */
export * from './registry.ts';
export * from './participating.ts';
export * from './japan-post.ts';
