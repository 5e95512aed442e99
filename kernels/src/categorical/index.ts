// Public exports of the categorical kernel family (re-exported by src/index.ts).
export {};
