// The results table, in Markdown so it can be pasted into docs/benchmarks.md as printed.

const number = (value, digits) =>
  value === undefined || value === null || Number.isNaN(value)
    ? ''
    : value >= 1000
      ? Math.round(value).toLocaleString('en-US')
      : value.toFixed(digits);

function ratioCell(row) {
  if (row.delta !== undefined) return `${row.delta >= 0 ? '+' : ''}${row.delta.toFixed(2)} MB`;
  if (row.ratio === undefined) return '';
  const range = row.ratios?.length > 1 ? ` (${Math.min(...row.ratios).toFixed(2)}–${Math.max(...row.ratios).toFixed(2)})` : '';
  return `**${row.ratio.toFixed(2)}×**${range}`;
}

function resultCell(row) {
  if (row.pass === true) return 'pass';
  if (row.pass === false) return '**MISS**';
  return '';
}

/** Formats benchmark rows as a Markdown table. */
export function formatTable(rows) {
  const header = ['benchmark', 'subject', 'baseline', 'metric', 'subject', 'baseline', 'ratio (min–max)', 'target', 'result', 'notes'];
  const lines = [`| ${header.join(' | ')} |`, `|${header.map(() => ' --- ').join('|')}|`];
  for (const row of rows) {
    const digits = row.metric.endsWith(' ms') || row.metric === 'MB' ? 2 : 0;
    lines.push(
      `| ${[
        row.group,
        row.subject,
        row.baseline ?? '',
        row.metric,
        number(row.value, digits),
        number(row.baselineValue, digits),
        ratioCell(row),
        row.target ?? '',
        resultCell(row),
        [...(row.notes ?? []), ...(row.busyBefore >= 0.25 ? [`other processes busy (${row.busyBefore.toFixed(1)} cores)`] : [])].join('; '),
      ].join(' | ')} |`,
    );
  }
  return lines.join('\n');
}
