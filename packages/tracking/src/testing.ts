// Test kit, not the public API: a server with MLflow's REST semantics and a fault-injecting
// proxy for it, shared by this package's tests and the CLI's.
export { fakeMlflow } from './testing/fake-mlflow.js';
export { faultProxy } from './testing/fault-proxy.js';
export type { Fault, FaultProxy, ProxiedRequest } from './testing/fault-proxy.js';
