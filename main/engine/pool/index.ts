export { poolsOf, PoolManager } from './pool-manager';
export { FunctionPool } from './function-pool';
export { AsyncResult, TaskFailedError } from './async-result';
export { CommandPool, expandTemplate } from './command-pool';
export type { PoolBase } from './pool-base';
export type { Task } from './task';
export { jobLog, chromeTrace } from './pool-export';
