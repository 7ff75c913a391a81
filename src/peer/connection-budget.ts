/**
 * One connection budget for every torrent of a peer (file descriptors and memory are the
 * process's, not a torrent's). The budget is split between the running torrents by water
 * filling: a torrent that wants fewer connections than an equal share keeps what it wants and
 * the rest share what it leaves; every running torrent gets at least one. Recomputed whenever
 * a torrent starts or stops, and applied to each core with `setPeersMax` (lowering it closes
 * nobody: tables shrink as connections end).
 */
export function shareConnections(
  budget: number,
  wants: ReadonlyMap<string, number>,
): Map<string, number> {
  const shares = new Map<string, number>()
  const open = [...wants.entries()].sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : 1))
  let left = budget
  let index = 0
  while (index < open.length) {
    const [id, want] = open[index] as [string, number]
    const fair = Math.floor(left / (open.length - index))
    const share = Math.max(1, Math.min(want, fair))
    shares.set(id, share)
    left = Math.max(0, left - share)
    index++
  }
  return shares
}
