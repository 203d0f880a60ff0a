/**
 * Fault injection for the kill -9 tests, as FoundationDB's and etcd's failpoints: with
 * `CAO_TEST_CRASH_AT=NAME` the engine kills itself with SIGKILL (what `kill -9` does, with no
 * chance to clean up) when it reaches the point NAME. Unset, a point costs one comparison.
 */
export const crashPointNames = [
	// The inbox: text staged in the terminal's server, messages not yet marked as being sent.
	'inbox.staged',
	// Messages marked as being sent, nothing pasted.
	'inbox.marked',
	// Pasted, not submitted.
	'input.pasted',
	// Submitted, not yet marked delivered.
	'inbox.submitted',
] as const;
export type CrashPointName = (typeof crashPointNames)[number];

const armed = process.env.CAO_TEST_CRASH_AT;

export const crashPoint = (name: CrashPointName): void => {
	if (armed === name) process.kill(process.pid, 'SIGKILL');
};
