import { formatRate } from '../model/format.js'
import { chartPoints, HISTORY_MS, niceMax, type RateSample } from '../model/rate-history.js'

const WIDTH = 600
const HEIGHT = 140

/** Download and upload rates over the last minutes, as two lines in a hand-written SVG. */
export function RateChart({ samples }: { samples: readonly RateSample[] }) {
  const now = samples.at(-1)?.at ?? 0
  const max = niceMax(samples)
  const latest = samples.at(-1)
  const summary =
    latest === undefined
      ? 'No samples yet'
      : `Now ${formatRate(latest.down)} down, ${formatRate(latest.up)} up; scale up to ${formatRate(max)}`
  return (
    <figure class="chart">
      <svg
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        preserveAspectRatio="none"
        role="img"
        aria-label={`Rate chart over ${HISTORY_MS / 60_000} minutes. ${summary}`}
      >
        {[0.25, 0.5, 0.75].map((f) => (
          <line key={f} class="grid" x1={0} x2={WIDTH} y1={HEIGHT * f} y2={HEIGHT * f} />
        ))}
        <polyline
          class="down"
          points={chartPoints(samples, (s) => s.down, max, now, WIDTH, HEIGHT)}
        />
        <polyline class="up" points={chartPoints(samples, (s) => s.up, max, now, WIDTH, HEIGHT)} />
        {latest !== undefined && (
          // The newest sample as a dot: a series of one sample draws no line.
          <>
            <circle
              class="dot-down"
              cx={WIDTH - 3}
              cy={HEIGHT - (Math.min(latest.down, max) / max) * HEIGHT}
              r={3}
            />
            <circle
              class="dot-up"
              cx={WIDTH - 3}
              cy={HEIGHT - (Math.min(latest.up, max) / max) * HEIGHT}
              r={3}
            />
          </>
        )}
      </svg>
      <figcaption>
        <span class="key key-down">down</span> <span class="key key-up">up</span> · top{' '}
        {formatRate(max)} · {summary}
      </figcaption>
    </figure>
  )
}
