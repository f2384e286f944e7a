/** What `test/bench/run.ts` runs: a named benchmark that prints its own figures. */
export interface Benchmark {
  readonly name: string;
  run(): Promise<void>;
}
