import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

/*
 * The real agent CLIs, installed from the npm registry at pinned versions (cached under
 * ~/.cache/cao-real-clis, shared with ../shared/real-clis), and the throwaway home each one needs to
 * run offline against the fake model server with no login. Settings follow ../shared/real-clis.
 */

export type RealCli = {
	/** The provider that drives it. */
	provider: 'claude_code' | 'codex' | 'opencode_cli' | 'gemini_cli';
	/** Its folder under the cache. */
	folder: string;
	packageName: string;
	version: string;
	bin: string;
	/** Writes its config under `home` and returns the terminal's environment. */
	prepare(home: string, serverUrl: string): Record<string, string>;
};

export const cacheRoot =
	process.env.REALCLI_ROOT ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'cao-real-clis');

const writeJson = (path: string, value: unknown) => {
	mkdirSync(dirname(path), { recursive: true });
	writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`);
};

/** Every request for another host goes to the fake server, which refuses it. */
const offline = (serverUrl: string) => ({
	HTTPS_PROXY: serverUrl,
	HTTP_PROXY: serverUrl,
	NO_PROXY: '127.0.0.1,localhost',
});

const anthropicKey = 'sk-ant-api03-fake-key-for-loopback-0123456789abcdefghij';

export const realClis: readonly RealCli[] = [
	{
		provider: 'claude_code',
		folder: 'claude-code',
		packageName: '@anthropic-ai/claude-code',
		version: process.env.CLAUDE_CODE_VERSION ?? '2.1.197',
		bin: 'claude',
		prepare(home, serverUrl) {
			// Onboarding done and the key approved; the folder's trust dialog is left for initialize().
			writeJson(join(home, '.claude.json'), {
				hasCompletedOnboarding: true,
				theme: 'dark',
				numStartups: 1,
				autoUpdates: false,
				customApiKeyResponses: { approved: [anthropicKey.slice(-20)], rejected: [] },
			});
			writeJson(join(home, '.claude', 'settings.json'), { autoUpdates: false });
			return {
				HOME: home,
				ANTHROPIC_BASE_URL: serverUrl,
				ANTHROPIC_API_KEY: anthropicKey,
				CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
				DISABLE_TELEMETRY: '1',
				DISABLE_AUTOUPDATER: '1',
				DISABLE_ERROR_REPORTING: '1',
				...offline(serverUrl),
			};
		},
	},
	{
		provider: 'codex',
		folder: 'codex',
		packageName: '@openai/codex',
		version: process.env.CODEX_VERSION ?? '0.169.0',
		bin: 'codex',
		prepare(home, serverUrl) {
			const codexHome = join(home, '.codex');
			mkdirSync(codexHome, { recursive: true });
			// daemon_auto_start=false: else Codex copies itself into CODEX_HOME and leaves a daemon.
			writeFileSync(
				join(codexHome, 'config.toml'),
				[
					'model = "fake-model"',
					'model_provider = "fake"',
					'approval_policy = "never"',
					'sandbox_mode = "read-only"',
					'check_for_update_on_startup = false',
					'[model_providers.fake]',
					'name = "Fake"',
					`base_url = "${serverUrl}/v1"`,
					'env_key = "FAKE_API_KEY"',
					'wire_api = "responses"',
					'request_max_retries = 0',
					'stream_max_retries = 0',
					'[analytics]',
					'enabled = false',
					'[features]',
					'daemon_auto_start = false',
					'plugins = false',
					'remote_plugin = false',
					'apps = false',
					'in_app_updates = false',
					'tool_suggest = false',
					'',
				].join('\n'),
			);
			return { HOME: home, CODEX_HOME: codexHome, FAKE_API_KEY: 'sk-fake-loopback', ...offline(serverUrl) };
		},
	},
	{
		provider: 'opencode_cli',
		folder: 'opencode',
		packageName: 'opencode-ai',
		version: process.env.OPENCODE_VERSION ?? '1.18.33',
		bin: 'opencode',
		prepare(home, serverUrl) {
			writeJson(join(home, '.config', 'opencode', 'opencode.json'), {
				$schema: 'https://opencode.ai/config.json',
				provider: {
					fake: {
						npm: '@ai-sdk/openai-compatible',
						name: 'Fake',
						options: { baseURL: `${serverUrl}/v1`, apiKey: 'sk-fake-loopback' },
						models: { 'fake-model': { name: 'Fake Model', tool_call: true } },
					},
				},
				model: 'fake/fake-model',
				small_model: 'fake/fake-model',
				autoupdate: false,
				share: 'disabled',
				permission: { edit: 'allow', bash: 'allow', webfetch: 'deny' },
			});
			// OpenCode ignores $HOME for its state: every XDG folder goes into the throwaway home.
			return {
				HOME: home,
				XDG_CONFIG_HOME: join(home, '.config'),
				XDG_DATA_HOME: join(home, '.local', 'share'),
				XDG_CACHE_HOME: join(home, '.cache'),
				XDG_STATE_HOME: join(home, '.local', 'state'),
				OPENCODE_DISABLE_AUTOUPDATE: '1',
				OPENCODE_DISABLE_MODELS_FETCH: '1',
				OPENCODE_DISABLE_LSP_DOWNLOAD: '1',
				OPENCODE_DISABLE_DEFAULT_PLUGINS: '1',
				OPENCODE_DISABLE_SHARE: '1',
				OPENCODE_DISABLE_CLAUDE_CODE: '1',
				...offline(serverUrl),
			};
		},
	},
	{
		provider: 'gemini_cli',
		folder: 'gemini',
		packageName: '@google/gemini-cli',
		version: process.env.GEMINI_VERSION ?? '0.61.0',
		bin: 'gemini',
		prepare(home, serverUrl) {
			writeJson(join(home, '.gemini', 'settings.json'), {
				security: { auth: { selectedType: 'gemini-api-key' }, folderTrust: { enabled: false } },
				general: { enableAutoUpdate: false, enableAutoUpdateNotification: false },
				privacy: { usageStatisticsEnabled: false },
				telemetry: { enabled: false },
				ui: { theme: 'Default', hideTips: true },
				ide: { enabled: false, hasSeenNudge: true },
				model: { name: 'gemini-2.5-flash' },
			});
			return {
				HOME: home,
				GEMINI_API_KEY: 'fake-gemini-key',
				GOOGLE_GEMINI_BASE_URL: serverUrl,
				GEMINI_TELEMETRY_ENABLED: 'false',
				...offline(serverUrl),
			};
		},
	},
];

/** The CLIs chosen by CAO_REAL_CLIS (provider names, comma-separated), or all four. */
export const selectedClis = (choice = process.env.CAO_REAL_CLIS ?? ''): RealCli[] => {
	const names = choice
		.split(',')
		.map((name) => name.trim())
		.filter(Boolean);
	const unknown = names.filter((name) => !realClis.some((cli) => cli.provider === name));
	if (unknown.length > 0)
		throw new Error(
			`CAO_REAL_CLIS: unknown ${unknown.join(', ')} (choose from ${realClis.map((cli) => cli.provider).join(', ')})`,
		);
	return names.length === 0 ? [...realClis] : realClis.filter((cli) => names.includes(cli.provider));
};

const binFolder = (cli: RealCli) => join(cacheRoot, cli.folder, 'node_modules', '.bin');

const installedVersion = (cli: RealCli): string | null => {
	try {
		const manifest = join(
			cacheRoot,
			cli.folder,
			'node_modules',
			...cli.packageName.split('/'),
			'package.json',
		);
		return (JSON.parse(readFileSync(manifest, 'utf8')) as { version?: string }).version ?? null;
	} catch {
		return null;
	}
};

/** Installs the pinned version unless the cache has it; returns the folder of its executable. */
export const ensureInstalled = async (cli: RealCli): Promise<string> => {
	const bin = binFolder(cli);
	if (installedVersion(cli) === cli.version && existsSync(join(bin, cli.bin))) return bin;
	const prefix = join(cacheRoot, cli.folder);
	mkdirSync(prefix, { recursive: true });
	if (!existsSync(join(prefix, 'package.json'))) writeJson(join(prefix, 'package.json'), { private: true });
	await promisify(execFile)(
		'npm',
		[
			'install',
			'--prefix',
			prefix,
			'--no-audit',
			'--no-fund',
			'--loglevel=error',
			`${cli.packageName}@${cli.version}`,
		],
		{ maxBuffer: 16 * 1024 * 1024 },
	);
	if (!existsSync(join(bin, cli.bin)))
		throw new Error(`${cli.packageName}@${cli.version} installed no ${cli.bin}`);
	return bin;
};

/** A folder's real path: Claude Code and Codex key a folder's trust by it. */
export const realFolder = (path: string) => {
	mkdirSync(path, { recursive: true });
	return realpathSync(path);
};
