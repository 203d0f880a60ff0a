import { readdirSync, readlinkSync } from 'node:fs';

/** The pid of the process whose standard output is `fifo`: the `cat` of tmux's pipe-pane. */
export const fifoWriterPid = (fifo: string): number | undefined => {
	for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
		try {
			if (readlinkSync(`/proc/${pid}/fd/1`) === fifo) return Number(pid);
		} catch {
			// Gone, or not ours to read.
		}
	}
	return undefined;
};
