/**
 * File priorities as the API takes them (0 skips a file, 1..7, 4 the default) and the few
 * levels the dashboard offers, as libtorrent-based clients do.
 */
export const PRIORITY_LEVELS = [
  { value: 0, label: 'Skip' },
  { value: 1, label: 'Low' },
  { value: 4, label: 'Normal' },
  { value: 7, label: 'High' },
] as const

/** The label of a priority; a value between levels shows as the level just below it. */
export function priorityLabel(priority: number): string {
  let label: string = PRIORITY_LEVELS[0].label
  for (const level of PRIORITY_LEVELS) if (priority >= level.value) label = level.label
  return label
}

/** Every file's priority with one changed: the body of PUT /torrents/{infoHash}/files. */
export function withPriority(
  current: readonly { readonly priority: number }[],
  index: number,
  priority: number,
): number[] {
  if (index < 0 || index >= current.length) throw new RangeError(`no file ${index}`)
  if (!Number.isInteger(priority) || priority < 0 || priority > 7) {
    throw new RangeError(`bad priority ${priority}`)
  }
  return current.map((file, i) => (i === index ? priority : file.priority))
}
