// Public exports of the reduce kernel family (re-exported by src/index.ts).
export {};
