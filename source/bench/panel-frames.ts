import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pty from 'node-pty';
import { requestEngine } from '../api/client.js';
import type { TerminalRecord } from '../engine/store/terminal-repository.js';
import { median, runArgs } from './run-args.js';

/**
 * `npm run bench:panel`: the real `cao-tui` panel in a PTY (200×50) over N fake agents that stream
 * long replies without pause; counts the frames it draws (each one is a synchronized update,
 * `ESC[?2026h`) per second, and the bytes it writes. The target: at most ~15 frames a second.
 */

const cli = fileURLToPath(new URL('../cli.js', import.meta.url));
const usage = `Usage: npm run bench:panel -- [--n 8] [--seconds 10] [--runs 3]`;

const { count, seconds, runs } = runArgs(usage, { n: 8, seconds: 10, runs: 3 });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const waitUntil = async (test: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000) => {
	const deadline = Date.now() + timeoutMs;
	while (!(await test())) {
		if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
		await sleep(50);
	}
};

const runOnce = async () => {
	const home = await mkdtemp(join(tmpdir(), 'cao-bench-panel-'));
	const socket = `cao-bench-panel-${process.pid}`;
	const env: Record<string, string | undefined> = {
		...process.env,
		CAO_HOME: home,
		CAO_TMUX_SOCKET: socket,
		FAKE_AGENT_THINK_MS: '100',
	};
	delete env.TMUX;
	const launch = Array.from({ length: count }, () => ['--launch', 'fake']).flat();
	const panel = pty.spawn(process.execPath, [cli, ...launch], {
		cols: 200,
		rows: 50,
		env: env as Record<string, string>,
	});
	let frames: number[] = [];
	let bytes = 0;
	let counting = false;
	panel.onData((data) => {
		if (!counting) return;
		bytes += Buffer.byteLength(data);
		for (let at = data.indexOf('\x1b[?2026h'); at !== -1; at = data.indexOf('\x1b[?2026h', at + 1))
			frames.push(Date.now());
	});
	const socketPath = join(home, 'cao.sock');
	const terminals = async () =>
		(await requestEngine(socketPath, 'GET', '/terminals').catch(() => [])) as TerminalRecord[];
	try {
		await waitUntil(
			async () => (await terminals()).filter((record) => record.lastStatus === 'idle').length === count,
			'the agents to be idle',
		);
		const ids = (await terminals()).map((record) => record.id);
		// Streaming without pause: a new long reply as soon as one ends.
		let streaming = true;
		const keepBusy = async (id: string) => {
			while (streaming) {
				await requestEngine(socketPath, 'POST', `/terminals/${id}/input`, { text: '!long' }).catch(() => {});
				await sleep(1500);
			}
		};
		const loops = ids.map((id) => keepBusy(id));
		await sleep(1000);
		frames = [];
		bytes = 0;
		counting = true;
		const started = Date.now();
		await sleep(seconds * 1000);
		counting = false;
		streaming = false;
		await Promise.all(loops);
		const perSecond = Array.from(
			{ length: seconds },
			(_, second) =>
				frames.filter((at) => at >= started + second * 1000 && at < started + (second + 1) * 1000).length,
		);
		panel.write('q');
		await sleep(1500);
		return {
			fps: frames.length / seconds,
			maxFps: Math.max(...perSecond),
			kbPerSecond: bytes / 1024 / seconds,
		};
	} finally {
		panel.kill();
		try {
			execFileSync('tmux', ['-L', socket, 'kill-server'], { stdio: 'ignore' });
		} catch {
			// Already gone.
		}
		await rm(home, { recursive: true, force: true });
	}
};

const results = [];
for (let run = 0; run < runs; run++) results.push(await runOnce());
process.stdout.write(
	`panel frames with ${count} agents streaming, ${seconds} s × ${runs} runs (medians):\n` +
		`  frames per second: ${median(results.map((result) => result.fps)).toFixed(1)} ` +
		`(busiest second: ${median(results.map((result) => result.maxFps))})\n` +
		`  written: ${median(results.map((result) => result.kbPerSecond)).toFixed(0)} KB/s\n`,
);
