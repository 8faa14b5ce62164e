/**
 * sim: the attack simulator. Replays the 2020 fraud (and its variants) against every configuration of Saifu, with
 * an honest population beside it, through the real services and database on a simulated clock, and measures what
 * was stolen, what stopped it, and what the defences cost honest users. The people act through one face
 * (`SimApi`): in-process over Saifu's use cases, or over HTTP against a running server (`--target`).
 * Invariants: a run is deterministic for its seed (result.json holds no wall-clock time); the defences see only
 * what a real system would see: the ground truth (who is an attacker) is read only by the measurements.
 * Never: import Saifu's HTTP layer (over HTTP it is a client, like any other), or let a defence read the
 * simulator's ground truth.
 */
export { CONFIGS, CONFIG_NAMES, findConfig, type CampaignKind, type SimConfig } from './configs.ts';
export { LAYERS, LAYER_LABELS, layerOf, type Layer, type SimResult } from './metrics.ts';
export { runSimulation, type SimOptions, type SimTiming } from './run.ts';
export { runComparison, type CompareOptions } from './compare.ts';
export { assertWritableDir, writeRun } from './output.ts';
export { markdownTable, reportHtml, summaryRows, textTable } from './report.ts';
export { lossesChart } from './charts.ts';
export { SimUsageError, parseSimOptions, simCommand, type SimCommandInput } from './command.ts';
export { SimTargetError } from './api.ts';
