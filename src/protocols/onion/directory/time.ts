/** Directory timestamps: "YYYY-MM-DD HH:MM:SS" in UTC, as Unix milliseconds. */
export function parseUtcTime(text: string): number | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/.exec(text.trim())
  if (match === null) return undefined
  const [, y, mo, d, h, mi, s] = match.map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ]
  return Date.UTC(y, mo - 1, d, h, mi, s)
}
