/**
 * Bar charts drawn as SVG, with the figures also given as text (a table or
 * the bars' titles) so they are read out, not only seen.
 */
export function BarChart({ data, label, format }: { data: { label: string; value: number }[]; label: string; format: (value: number) => string }) {
  const max = Math.max(1, ...data.map((d) => d.value));
  const barHeight = 28;
  const gap = 10;
  const labelWidth = 140;
  const width = 640;
  const height = data.length * (barHeight + gap);
  return (
    <figure>
      <svg className="chart" viewBox={`0 0 ${width} ${Math.max(height, barHeight)}`} role="img" aria-label={label}>
        {data.map((d, i) => {
          const y = i * (barHeight + gap);
          const w = ((width - labelWidth - 90) * d.value) / max;
          return (
            <g key={d.label}>
              <title>{`${d.label}: ${format(d.value)}`}</title>
              <text x={0} y={y + barHeight / 2 + 4}>
                {d.label}
              </text>
              <rect className="bar" x={labelWidth} y={y} width={Math.max(w, 1)} height={barHeight} rx={4} />
              <text x={labelWidth + w + 6} y={y + barHeight / 2 + 4}>
                {format(d.value)}
              </text>
            </g>
          );
        })}
      </svg>
      <figcaption className="visually-hidden">{label}</figcaption>
    </figure>
  );
}
