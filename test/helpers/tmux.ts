/**
 * Drive the CLI as a person would: in a real pseudo-terminal (tmux), typing keys and
 * reading the screen. Every wait is bounded and polls the screen; no fixed sleeps.
 */
import { execFileSync } from 'node:child_process';

export class Terminal {
  private readonly socket: string;
  private closed = false;

  private constructor(readonly name: string) {
    this.socket = `lifeboat-test-${process.pid}-${name}`;
  }

  /** Start `argv` in a new tmux session with exactly `env`; the pane stays after it exits. */
  static start(name: string, argv: string[], env: NodeJS.ProcessEnv, cwd: string): Terminal {
    const t = new Terminal(name);
    const envArgs = Object.entries(env)
      .filter(([k, v]) => v !== undefined && /^[A-Za-z_][A-Za-z0-9_]*$/.test(k))
      .map(([k, v]) => `${k}=${v as string}`);
    // The exit code is printed when the program ends, so tests can read it off the screen.
    const script = `${argv.map(shellQuote).join(' ')}; echo "[exit $?]"; sleep 600`;
    execFileSync('tmux', ['-L', t.socket, '-f', '/dev/null', 'new-session', '-d', '-s', name, '-x', '160', '-y', '60', '-c', cwd, 'env', '-i', ...envArgs, 'bash', '--norc', '-c', script]);
    return t;
  }

  private tmux(...args: string[]): string {
    return execFileSync('tmux', ['-L', this.socket, ...args], { encoding: 'utf8' });
  }

  screen(): string {
    return this.tmux('capture-pane', '-p', '-J', '-S', '-2000', '-t', this.name);
  }

  /** Keys by tmux name (Enter, Down, C-c) or literal text with `literal: true`. */
  keys(...keys: string[]): void {
    this.tmux('send-keys', '-t', this.name, ...keys);
  }

  type(text: string): void {
    this.tmux('send-keys', '-t', this.name, '-l', text);
  }

  /** Wait until the screen matches; return the screen. */
  async waitFor(pattern: string | RegExp, timeoutMs = 20_000, occurrence = 1): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    let screen = '';
    while (Date.now() < deadline) {
      screen = this.screen();
      const count = typeof pattern === 'string' ? screen.split(pattern).length - 1 : (screen.match(new RegExp(pattern.source, `${pattern.flags.replace('g', '')}g`)) ?? []).length;
      if (count >= occurrence) return screen;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`timed out after ${timeoutMs} ms waiting for ${String(pattern)} (×${occurrence}); screen:\n${screen}`);
  }

  /** The exit code printed when the program ended. */
  async exitCode(timeoutMs = 30_000): Promise<number> {
    const screen = await this.waitFor(/\[exit \d+\]/, timeoutMs);
    return Number(/\[exit (\d+)\]/.exec(screen)?.[1]);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.tmux('kill-server');
    } catch {
      // already gone
    }
  }
}

function shellQuote(s: string): string {
  return /^[A-Za-z0-9_./:=@-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
