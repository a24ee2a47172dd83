/** Chromium driven by playwright-core for the docs site tests, and a `bp docs serve` process. */
import { spawn, type ChildProcess } from "node:child_process";
import { chromium, type Browser } from "playwright-core";
import { BP, ROOT } from "../helpers/temp-project.js";

export const ARTIFACTS = `${ROOT}/test-artifacts`;

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: process.env["BP_CHROMIUM"] ?? "/usr/bin/chromium", headless: true, args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking"] });
}

export interface ServeProcess {
  readonly url: string;
  readonly child: ChildProcess;
  output(): string;
  /** SIGINT (Ctrl-C), resolves with the exit code. */
  stop(): Promise<number | null>;
}

/** Starts the real `bp docs serve --port 0` and waits for its "serving URL" line. */
export function startServe(args: readonly string[]): Promise<ServeProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BP, "docs", "serve", "--port", "0", ...args], { cwd: ROOT, env: { ...process.env, NO_COLOR: "1" }, stdio: ["ignore", "pipe", "pipe"] });
    let text = "";
    const timer = setTimeout(() => reject(new Error(`bp docs serve did not start:\n${text}`)), 60_000);
    const onData = (d: Buffer) => {
      text += d;
      const m = /serving (http:\/\/127\.0\.0\.1:\d+\/)/.exec(text);
      if (m) {
        clearTimeout(timer);
        resolve({
          url: m[1]!,
          child,
          output: () => text,
          stop: () => new Promise((r) => { child.once("exit", (code) => r(code)); child.kill("SIGINT"); }),
        });
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.once("exit", (code) => { clearTimeout(timer); reject(new Error(`bp docs serve exited ${code}:\n${text}`)); });
  });
}
