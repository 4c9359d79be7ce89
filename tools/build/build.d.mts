/** Compiles what changed in every app's and lib's `src/` to its `dist/` (see build.mjs). */
export function build(): Promise<{ files: number; ms: number }>;
