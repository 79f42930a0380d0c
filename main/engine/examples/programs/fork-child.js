// The child of seed program 1. Its parent passes its own pid, as os.getppid() would tell.
const parentPid = process.argv[2];
console.log(`I am child process (${process.pid}) and my parent is ${parentPid}.`);
process.send?.({ hello: 'from the child', pid: process.pid, parentPid: Number(parentPid) });
process.disconnect?.();
