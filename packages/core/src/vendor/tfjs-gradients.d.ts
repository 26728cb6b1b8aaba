// Side-effect module: registers tfjs-core gradients (see scripts/bundle-tfjs-gradients.mjs).
export {};
