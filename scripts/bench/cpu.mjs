// CPU time of a process, all its threads, in nanoseconds, from Linux's /proc/<pid>/task/*/schedstat
// (on-CPU time, then time spent runnable but waiting for a CPU). On a shared, noisy machine the CPU
// a batch consumed is a steadier measure than the wall time it took; the waiting time says how
// noisy the machine was. Elsewhere than Linux these return undefined and the bench uses wall time.
import { readdirSync, readFileSync } from "node:fs";

export function schedstat(pid) {
  try {
    let cpuNs = 0;
    let waitNs = 0;
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      try {
        const [cpu, wait] = readFileSync(`/proc/${pid}/task/${task}/schedstat`, "utf8").split(" ");
        cpuNs += Number(cpu);
        waitNs += Number(wait);
      } catch {
        // A thread that exited between the listing and the read: its time is gone either way.
      }
    }
    return { cpuNs, waitNs };
  } catch {
    return undefined;
  }
}

/** Direct children of this process running `command` (Miniflare spawns workerd itself). */
export function childPids(command) {
  const pids = [];
  let entries;
  try {
    entries = readdirSync("/proc");
  } catch {
    return pids;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      // "pid (comm) state ppid ...": comm may hold spaces, so split after its closing parenthesis.
      const close = stat.lastIndexOf(")");
      const comm = stat.slice(stat.indexOf("(") + 1, close);
      const ppid = Number(stat.slice(close + 2).split(" ")[1]);
      if (ppid === process.pid && comm === command) pids.push(Number(entry));
    } catch {
      // Gone already, or not ours to read.
    }
  }
  return pids;
}

/** Summed over several processes; undefined if any cannot be read. */
export function schedstatOf(pids) {
  let cpuNs = 0;
  let waitNs = 0;
  for (const pid of pids) {
    const stat = schedstat(pid);
    if (!stat) return undefined;
    cpuNs += stat.cpuNs;
    waitNs += stat.waitNs;
  }
  return pids.length > 0 ? { cpuNs, waitNs } : undefined;
}
