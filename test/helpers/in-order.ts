/** `xs.map(fn)` for asynchronous `fn`, one after another (rows get their ids in the list's order). */
export async function inOrder<T, R>(xs: readonly T[], fn: (x: T, index: number) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (const [i, x] of xs.entries()) out.push(await fn(x, i));
  return out;
}
