/** WGSL shader sources are imported as text (tsup loader `.wgsl: text`, vitest plugin in vitest.shared.ts). */
declare module '*.wgsl' {
  const source: string;
  export default source;
}
