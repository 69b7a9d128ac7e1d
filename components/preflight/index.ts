export * from "./render";
export * from "./hostPreflight";
