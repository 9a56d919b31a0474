/**
 * Everything a bench started, stopped in reverse order on the way out, whatever happens: a normal
 * end, a failure, or Ctrl-C/SIGTERM (then exit 130). One for every bench.
 */
export interface Cleanups {
  push(fn: () => Promise<void> | void): void;
  run(): Promise<void>;
}

export function cleanups(bench: string, say: (line: string) => void): Cleanups {
  const stack: (() => Promise<void> | void)[] = [];
  const run = async (): Promise<void> => {
    while (stack.length) {
      try {
        await stack.pop()?.();
      } catch (error) {
        say(`  cleanup: ${(error as Error).message}`);
      }
    }
  };
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      say(`${bench}: ${signal}, cleaning up`);
      void run().then(() => process.exit(130));
    });
  }
  return { push: (fn) => stack.push(fn), run };
}
