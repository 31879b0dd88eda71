/** `npm start`: shows what exists so far, and says plainly what does not. */
export async function runDemo(): Promise<void> {
  process.stdout.write('samsa: the cluster is not built yet (see the open issues).\n')
}
