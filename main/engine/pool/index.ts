export { poolsOf, PoolManager } from './pool-manager';
export { FunctionPool, AsyncResult, TaskFailedError } from './function-pool';
export { CommandPool, expandTemplate } from './command-pool';
export type { PoolBase } from './pool-base';
export type { Task } from './task';
export { jobLog, chromeTrace } from './pool-export';
