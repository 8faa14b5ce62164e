import * as echarts from 'echarts';
import { LAYERS, LAYER_LABELS, type SimResult } from './metrics.ts';

/** Charts rendered on the server (ECharts' SSR SVG renderer): plain SVG, no script, no network to view them. */
function svg(option: echarts.EChartsCoreOption, width = 860, height = 380): string {
  const chart = echarts.init(null as unknown as HTMLElement, null, { renderer: 'svg', ssr: true, width, height });
  chart.setOption({ animation: false, textStyle: { fontFamily: 'sans-serif' }, ...option });
  const out = chart.renderToSVGString();
  chart.dispose();
  return out;
}

/** Cumulative yen stolen over simulated days, one line per configuration. */
export function lossesChart(results: SimResult[]): string {
  const days = Math.max(...results.map((r) => r.lossesByDay.length));
  return svg({
    title: { text: 'Yen stolen over simulated time', left: 'center' },
    legend: { bottom: 0, type: 'plain' },
    grid: { left: 90, right: 30, top: 50, bottom: 90 },
    xAxis: { type: 'category', name: 'day', data: Array.from({ length: days }, (_, i) => String(i + 1)) },
    yAxis: { type: 'value', name: '¥ stolen (cumulative)' },
    series: results.map((r) => ({ name: r.config, type: 'line', showSymbol: false, data: r.lossesByDay })),
  });
}

/** Attacker steps stopped, by the layer that stopped them, per configuration (stacked). */
export function stopsChart(results: SimResult[]): string {
  return svg({
    title: { text: 'Attacker steps stopped, by layer', left: 'center' },
    legend: { bottom: 0 },
    grid: { left: 60, right: 30, top: 50, bottom: 110 },
    xAxis: { type: 'category', data: results.map((r) => r.config), axisLabel: { rotate: 30 } },
    yAxis: { type: 'value', name: 'steps stopped' },
    series: LAYERS.filter((l) => results.some((r) => r.stopsByLayer[l] > 0)).map((l) => ({
      name: LAYER_LABELS[l],
      type: 'bar',
      stack: 'stops',
      data: results.map((r) => r.stopsByLayer[l]),
    })),
  });
}

/** Honest users challenged, denied and blocked, as a share of honest users, per configuration. */
export function frictionChart(results: SimResult[]): string {
  const pct = (n: number, r: SimResult) => Math.round((10_000 * n) / Math.max(1, r.honestUsers)) / 100;
  return svg({
    title: { text: 'Honest friction (% of honest users)', left: 'center' },
    legend: { bottom: 0 },
    grid: { left: 60, right: 30, top: 50, bottom: 110 },
    xAxis: { type: 'category', data: results.map((r) => r.config), axisLabel: { rotate: 30 } },
    yAxis: { type: 'value', name: '%' },
    series: [
      { name: 'challenged', type: 'bar', data: results.map((r) => pct(r.honestChallenged, r)) },
      { name: 'denied', type: 'bar', data: results.map((r) => pct(r.honestDenied, r)) },
      { name: 'blocked', type: 'bar', data: results.map((r) => pct(r.honestBlocked, r)) },
    ],
  });
}
