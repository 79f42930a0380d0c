#!/usr/bin/env node
// An offline twin of nslookup for seed programs 4a and 4b: the same kind of dialogue
// (a host as argument, or commands on stdin), answered from a small table, with no network.
import { createInterface } from 'node:readline';

/** @type {Record<string, {a?: string[], mx?: string[], cname?: string}>} */
const records = {
  'www.python.org': { a: ['151.101.0.223', '151.101.64.223'], cname: 'dualstack.python.map.fastly.net' },
  'python.org': { a: ['151.101.0.223'], mx: ['50 mail.python.org'] },
  'mail.python.org': { a: ['188.166.95.178'] },
  'example.com': { a: ['93.184.215.14'] },
};
/** @type {'a' | 'mx'} */
let queryType = 'a';

function server() {
  console.log('Server:\t\t127.0.0.53 (forkscope offline twin)');
  console.log('Address:\t127.0.0.53#53\n');
}

/** @param {string} name */
function lookup(name) {
  const host = name.replace(/\.$/, '').toLowerCase();
  const entry = records[host];
  server();
  if (!entry || !entry[queryType]) {
    console.error(`** server can't find ${host}: NXDOMAIN`);
    return false;
  }
  console.log('Non-authoritative answer:');
  if (entry.cname && queryType === 'a') console.log(`${host}\tcanonical name = ${entry.cname}.`);
  for (const value of entry[queryType] ?? []) {
    if (queryType === 'mx') console.log(`${host}\tmail exchanger = ${value}.`);
    else console.log(`Name:\t${entry.cname ?? host}\nAddress: ${value}`);
  }
  console.log('');
  return true;
}

const hosts = process.argv.slice(2);
if (hosts.length > 0) {
  process.exitCode = hosts.map(lookup).every(Boolean) ? 0 : 1;
} else {
  let failed = false;
  const input = createInterface({ input: process.stdin });
  input.on('line', (raw) => {
    const line = raw.trim();
    if (!line) return;
    if (line === 'exit') return input.close();
    const set = /^set\s+(?:q|query|type)=(\w+)$/i.exec(line);
    if (set) queryType = set[1]?.toLowerCase() === 'mx' ? 'mx' : 'a';
    else if (!lookup(line)) failed = true;
  });
  input.on('close', () => (process.exitCode = failed ? 1 : 0));
}
