// Public exports of the binary kernel family (re-exported by src/index.ts).
export {};
