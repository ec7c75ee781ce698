/** Types for build-state.mjs, which test/global-setup.ts uses to build before the suite. */
export function newest(path: string): number;
export function isStale(root: string, inputs: string[], output: string): boolean;
export const SERVER_BUILD: { inputs: string[]; output: string };
export const UI_BUILD: { inputs: string[]; output: string };
