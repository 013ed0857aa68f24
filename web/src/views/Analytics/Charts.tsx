/**
 * The analytics charts, on Recharts: a figure per row with its 95 % interval (horizontal bars
 * and whiskers), and a figure over time with its interval as a band. Every row's axis label
 * carries its sample size, and "small sample" where the figure rests on few cases; the charts
 * fill their container's width (ResponsiveContainer), so they fit a phone.
 */
import type { ReactNode } from 'react';
import {
  Area,
  Bar,
  CartesianGrid,
  Cell,
  ComposedChart,
  ErrorBar,
  LabelList,
  Line,
  ReferenceLine,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
  type XAxisTickContentProps,
  type YAxisTickContentProps,
} from 'recharts';
import { ticksOf } from './figures';
import { sampleText, type FigureRow, type TrendRow } from './shape';

const ROW_HEIGHT = 46;
const LABEL_CHARS = 18;
// Rough widths of a character of the tick's two lines (11.5 px and 10.5 px type).
const NAME_CHAR_PX = 6.7;
const N_CHAR_PX = 6;

/** The label column's width: the longest name or n line, within 64–150 px. */
function labelWidth(rows: FigureRow[]): number {
  const widest = Math.max(
    ...rows.map((r) => Math.max(Math.min(r.label.length, LABEL_CHARS) * NAME_CHAR_PX, sampleText(r.n, r.small).length * N_CHAR_PX)),
    0,
  );
  return Math.round(Math.min(150, Math.max(64, widest + 8)));
}
const AXIS_TICK = { fill: 'var(--muted)', fontSize: 11 };

function truncate(text: string, chars: number): string {
  return text.length > chars ? `${text.slice(0, chars - 1)}…` : text;
}

function CategoryTick({ x, y, payload, rows }: Pick<YAxisTickContentProps, 'x' | 'y' | 'payload'> & { rows: FigureRow[] }) {
  const row = rows[payload.index];
  if (!row) return null;
  return (
    <g transform={`translate(${Number(x)},${Number(y)})`} className="analytics-tick">
      <title>{row.key || row.label}</title>
      <text x={-4} y={-3} textAnchor="end" className="analytics-tick__name">
        {truncate(row.label, LABEL_CHARS)}
      </text>
      <text x={-4} y={11} textAnchor="end" className={`analytics-tick__n${row.small ? ' analytics-tick__n--small' : ''}`}>
        {sampleText(row.n, row.small)}
      </text>
    </g>
  );
}

function TimeTick({ x, y, payload, rows }: Pick<XAxisTickContentProps, 'x' | 'y' | 'payload'> & { rows: FigureRow[] }) {
  const row = rows[payload.index];
  if (!row) return null;
  return (
    <g transform={`translate(${Number(x)},${Number(y)})`} className="analytics-tick">
      <text x={0} y={10} textAnchor="middle" className="analytics-tick__name">
        {row.label}
      </text>
      <text x={0} y={24} textAnchor="middle" className={`analytics-tick__n${row.small ? ' analytics-tick__n--small' : ''}`}>
        {`n = ${row.n}`}
      </text>
    </g>
  );
}

/** A bar's value above its middle, on one line (Recharts' own label wraps at the bar's width). */
function ValueLabel({ viewBox, value, format }: { viewBox?: unknown; value?: unknown; format: (v: number) => string }) {
  const box = viewBox as { x?: number; y?: number; width?: number } | undefined;
  if (typeof value !== 'number' || box?.x === undefined || box.y === undefined) return <g />;
  return (
    <text x={box.x + (box.width ?? 0) / 2} y={box.y - 4} textAnchor="middle" className="analytics-value">
      {format(value)}
    </text>
  );
}

function FigureTooltip({
  active,
  payload,
  format,
  unit,
}: {
  active?: boolean;
  payload?: ReadonlyArray<{ payload?: unknown }>;
  format: (v: number) => string;
  unit: string;
}) {
  const row = active ? (payload?.[0]?.payload as FigureRow | undefined) : undefined;
  if (!row) return null;
  const interval = row.low !== null && row.high !== null ? ` [${format(row.low)}, ${format(row.high)}]` : '';
  return (
    <div className="analytics-tooltip">
      <strong>{row.key || row.label}</strong>
      <div>{row.value === null ? 'no data' : `${format(row.value)}${interval}`}</div>
      <div className={row.small ? 'analytics-small' : 'muted'}>
        {sampleText(row.n, row.small, unit)}
      </div>
    </div>
  );
}

export interface IntervalChartProps {
  rows: FigureRow[];
  format: (v: number) => string;
  domain: [number, number];
  /** The axis's numbers, when shorter than the figures' (no currency on every tick). */
  axisFormat?: (v: number) => string;
  /** What n counts ("comparisons", "votes"), for the tooltip. */
  unit: string;
  /** A line where the figure means "no effect" (0) or "average" (1). */
  reference?: number;
}

/** One horizontal bar per row, its 95 % interval as a whisker. */
export function IntervalChart({ rows, format, domain, axisFormat, unit, reference }: IntervalChartProps) {
  const height = Math.max(110, rows.length * ROW_HEIGHT + 36);
  return (
    <div className="analytics-chart">
      <ResponsiveContainer width="100%" height={height}>
        <ComposedChart layout="vertical" data={rows} margin={{ top: 6, right: 22, bottom: 0, left: 0 }} barCategoryGap="30%">
          <CartesianGrid horizontal={false} strokeDasharray="3 3" stroke="var(--border)" />
          <XAxis
            type="number"
            domain={domain}
            ticks={ticksOf(domain)}
            tickFormatter={axisFormat ?? format}
            tick={AXIS_TICK}
            stroke="var(--border)"
            allowDataOverflow
          />
          <YAxis
            type="category"
            dataKey="key"
            width={labelWidth(rows)}
            interval={0}
            tickLine={false}
            stroke="var(--border)"
            tick={(props: YAxisTickContentProps) => <CategoryTick x={props.x} y={props.y} payload={props.payload} rows={rows} />}
          />
          {reference !== undefined && <ReferenceLine x={reference} stroke="var(--muted)" strokeDasharray="4 3" />}
          <Tooltip cursor={{ fill: 'var(--surface-2)' }} content={(props) => <FigureTooltip active={props.active} payload={props.payload} format={format} unit={unit} />} />
          <Bar dataKey="value" isAnimationActive={false} maxBarSize={16} minPointSize={2}>
            {rows.map((row) => (
              <Cell
                key={row.key}
                fill="var(--accent)"
                fillOpacity={row.small ? 0.4 : 0.85}
                stroke="var(--accent)"
                strokeDasharray={row.small ? '3 2' : undefined}
              />
            ))}
            <ErrorBar dataKey="error" direction="x" width={6} stroke="var(--text)" strokeWidth={1.5} />
            <LabelList dataKey="value" content={(props) => <ValueLabel viewBox={props.viewBox} value={props.value} format={axisFormat ?? format} />} />
          </Bar>
        </ComposedChart>
      </ResponsiveContainer>
    </div>
  );
}

/** A share over time: the line, its interval as a band, each point's n under its date. */
export function TrendChart({ rows, format, unit }: { rows: TrendRow[]; format: (v: number) => string; unit: string }) {
  return (
    <div className="analytics-chart">
      <ResponsiveContainer width="100%" height={250}>
        <ComposedChart data={rows} margin={{ top: 10, right: 22, bottom: 0, left: 0 }}>
          <CartesianGrid vertical={false} strokeDasharray="3 3" stroke="var(--border)" />
          <XAxis
            dataKey="key"
            height={34}
            interval="preserveStartEnd"
            padding={{ left: 18, right: 18 }}
            stroke="var(--border)"
            tick={(props: XAxisTickContentProps) => <TimeTick x={props.x} y={props.y} payload={props.payload} rows={rows} />}
          />
          <YAxis type="number" domain={[0, 1]} ticks={ticksOf([0, 1])} tickFormatter={format} tick={AXIS_TICK} stroke="var(--border)" width={54} />
          <Tooltip content={(props) => <FigureTooltip active={props.active} payload={props.payload} format={format} unit={unit} />} />
          <Area dataKey="band" stroke="none" fill="var(--accent)" fillOpacity={0.15} isAnimationActive={false} connectNulls />
          <Line
            dataKey="value"
            stroke="var(--accent)"
            strokeWidth={2}
            isAnimationActive={false}
            connectNulls
            dot={(props: { cx?: number; cy?: number; index?: number }) => (
              <circle
                key={props.index}
                cx={props.cx}
                cy={props.cy}
                r={4}
                stroke="var(--accent)"
                strokeWidth={2}
                fill={rows[props.index ?? 0]?.small ? 'var(--surface)' : 'var(--accent)'}
              />
            )}
          >
            <ErrorBar dataKey="error" direction="y" width={6} stroke="var(--accent)" strokeWidth={1.2} />
          </Line>
        </ComposedChart>
      </ResponsiveContainer>
    </div>
  );
}

/** A chart with its title, what it shows, and the sample it rests on. */
export function Figure({ title, note, sample, children }: { title: string; note?: ReactNode; sample: string; children: ReactNode }) {
  return (
    <figure className="analytics-figure" aria-label={title}>
      <figcaption className="analytics-figure__caption">
        <span className="analytics-figure__title">{title}</span>
        <span className="analytics-figure__sample">{sample}</span>
        {note && <span className="analytics-figure__note">{note}</span>}
      </figcaption>
      {children}
    </figure>
  );
}
