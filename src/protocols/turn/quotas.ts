/**
 * Allocations per user and per client IP, pending ones included: RFC 8656 section 7.2 lets a
 * server refuse with 486 (Allocation Quota Reached) once either reaches its limit.
 */
export class AllocationQuotas {
  private readonly perUser = new Map<string, number>()
  private readonly perIp = new Map<string, number>()

  ofUser(username: string): number {
    return this.perUser.get(username) ?? 0
  }

  ofIp(host: string): number {
    return this.perIp.get(host) ?? 0
  }

  count(username: string, host: string, delta: 1 | -1): void {
    for (const [map, key] of [
      [this.perUser, username],
      [this.perIp, host],
    ] as const) {
      const next = (map.get(key) ?? 0) + delta
      if (next <= 0) map.delete(key)
      else map.set(key, next)
    }
  }
}
