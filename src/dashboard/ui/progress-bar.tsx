import { formatPercent } from '../model/format.js'

/** A labelled bar 0..1 with its percentage written on it. */
export function ProgressBar({ fraction, label }: { fraction: number; label: string }) {
  const percent = formatPercent(fraction)
  return (
    <div
      class="progress"
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={Math.round(Math.min(1, Math.max(0, fraction)) * 1000) / 10}
      aria-valuetext={percent}
    >
      <div
        class="progress-fill"
        style={{ width: `${Math.min(1, Math.max(0, fraction)) * 100}%` }}
      />
      <span class="progress-text">{percent}</span>
    </div>
  )
}
