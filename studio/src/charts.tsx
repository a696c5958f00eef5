// Small SVG charts (bar, funnel, line) for the aggregate API's rows.
export interface Point {
  label: string;
  value: number;
}

const W = 520;
const fmt = (v: number) => (Math.abs(v) >= 1e6 ? `${(v / 1e6).toFixed(1)}M` : Math.abs(v) >= 1e4 ? `${(v / 1e3).toFixed(0)}k` : String(Math.round(v * 100) / 100));

export function BarChart(props: { points: Point[]; title: string }) {
  const rowH = 26;
  const max = Math.max(1, ...props.points.map((p) => p.value));
  const h = props.points.length * rowH + 10;
  return (
    <svg class="chart" viewBox={`0 0 ${W} ${h}`} role="img" aria-label={props.title}>
      {props.points.map((p, i) => {
        const w = ((W - 200) * Math.max(0, p.value)) / max;
        return (
          <g transform={`translate(0 ${i * rowH + 5})`}>
            <text x={130} y={16} text-anchor="end">
              {p.label.slice(0, 20)}
            </text>
            <rect x={140} y={3} width={w} height={rowH - 8} fill="#2155c9" rx={3} />
            <text x={146 + w} y={16}>
              {fmt(p.value)}
            </text>
          </g>
        );
      })}
    </svg>
  );
}

export function FunnelChart(props: { points: Point[]; title: string }) {
  const rowH = 34;
  const max = Math.max(1, ...props.points.map((p) => p.value));
  const h = props.points.length * rowH + 10;
  return (
    <svg class="chart" viewBox={`0 0 ${W} ${h}`} role="img" aria-label={props.title}>
      {props.points.map((p, i) => {
        const w = Math.max(6, ((W - 40) * Math.max(0, p.value)) / max);
        return (
          <g transform={`translate(0 ${i * rowH + 5})`}>
            <rect x={(W - w) / 2} y={0} width={w} height={rowH - 4} fill={`hsl(221 ${70 - i * 6}% ${42 + i * 6}%)`} rx={3} />
            <text x={W / 2} y={rowH / 2 + 2} text-anchor="middle" style="fill:#fff;font-weight:600">
              {p.label.slice(0, 24)} · {fmt(p.value)}
            </text>
          </g>
        );
      })}
    </svg>
  );
}

export function LineChart(props: { points: Point[]; title: string }) {
  const h = 220;
  const pad = { l: 50, r: 16, t: 14, b: 36 };
  const max = Math.max(1, ...props.points.map((p) => p.value));
  const n = props.points.length;
  const x = (i: number) => pad.l + (n <= 1 ? (W - pad.l - pad.r) / 2 : (i * (W - pad.l - pad.r)) / (n - 1));
  const y = (v: number) => h - pad.b - ((h - pad.t - pad.b) * v) / max;
  const path = props.points.map((p, i) => `${i ? "L" : "M"}${x(i).toFixed(1)} ${y(p.value).toFixed(1)}`).join(" ");
  return (
    <svg class="chart" viewBox={`0 0 ${W} ${h}`} role="img" aria-label={props.title}>
      {[0, 0.5, 1].map((f) => (
        <g>
          <line x1={pad.l} x2={W - pad.r} y1={y(max * f)} y2={y(max * f)} stroke="#e3e7ee" />
          <text x={pad.l - 6} y={y(max * f) + 4} text-anchor="end">
            {fmt(max * f)}
          </text>
        </g>
      ))}
      <path d={path} fill="none" stroke="#2155c9" stroke-width={2.5} />
      {props.points.map((p, i) => (
        <g>
          <circle cx={x(i)} cy={y(p.value)} r={3.5} fill="#2155c9" />
          <text x={x(i)} y={h - pad.b + 16} text-anchor="middle">
            {p.label}
          </text>
        </g>
      ))}
    </svg>
  );
}
