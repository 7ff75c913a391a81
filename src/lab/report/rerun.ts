/** The command that reruns one section alone (DIR stands for the reader's directory). */
export function rerunCommand(id: string, seed: number, quick: boolean): string {
  return `plexus lab${quick ? ' --quick' : ''} --only ${id} --seed ${seed} --out DIR`
}
