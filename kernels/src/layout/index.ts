// Public exports of the layout kernel family (re-exported by src/index.ts).
export {};
