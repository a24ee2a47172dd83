/**
 * An HTTP proxy in front of s3rver for the failure and conditional-write tests:
 * - `hang(n, match)`: the next n matching requests get no answer at all (a stalled server);
 * - `conditional: true`: PUTs carrying If-None-Match / If-Match are checked against the object's
 *   current ETag (HEAD upstream) and refused with 412, one PUT at a time, as AWS S3 does;
 *   `"if-none-match-only"` checks If-None-Match and ignores If-Match.
 *   s3rver itself ignores both headers.
 * Requests are forwarded with their own Host header, so SigV4 signatures still verify.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { HeadObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { CREDENTIALS } from "./s3rver.js";

export interface Proxy {
  readonly endpoint: string;
  /** Requests seen (method + path). */
  readonly seen: string[];
  hang(count: number, match?: (method: string, url: string) => boolean): void;
  close(): Promise<void>;
}

export async function startProxy(upstream: string, options: { conditional?: boolean | "if-none-match-only" } = {}): Promise<Proxy> {
  const up = new URL(upstream);
  const head = new S3Client({ endpoint: upstream, region: "us-east-1", forcePathStyle: true, credentials: CREDENTIALS });
  const seen: string[] = [];
  let hangs: { left: number; match: (m: string, u: string) => boolean } = { left: 0, match: () => true };
  const stalled: http.ServerResponse[] = [];
  let putChain: Promise<unknown> = Promise.resolve();

  const forward = (req: http.IncomingMessage, body: Buffer, res: http.ServerResponse): Promise<void> =>
    new Promise((resolve) => {
      const out = http.request(
        { host: up.hostname, port: up.port, method: req.method, path: req.url, headers: req.headers },
        (r) => {
          res.writeHead(r.statusCode ?? 502, r.headers);
          r.pipe(res);
          r.on("end", resolve);
        },
      );
      out.on("error", () => {
        res.destroy();
        resolve();
      });
      out.end(body);
    });

  const etagOf = async (url: string): Promise<string | null> => {
    const [bucket, ...key] = decodeURIComponent(new URL(url, "http://x").pathname).slice(1).split("/");
    try {
      const r = await head.send(new HeadObjectCommand({ Bucket: bucket, Key: key.join("/") }));
      return (r.ETag ?? "").replace(/"/g, "");
    } catch {
      return null;
    }
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const method = req.method ?? "GET";
      const url = req.url ?? "/";
      seen.push(`${method} ${url}`);
      if (hangs.left > 0 && hangs.match(method, url)) {
        hangs.left -= 1;
        stalled.push(res);
        return;
      }
      const body = Buffer.concat(chunks);
      const ifNone = req.headers["if-none-match"];
      // "if-none-match-only": a server that enforces If-None-Match and ignores If-Match
      const ifMatch = options.conditional === "if-none-match-only" ? undefined : req.headers["if-match"];
      if (options.conditional !== undefined && options.conditional !== false && method === "PUT" && (ifNone !== undefined || ifMatch !== undefined)) {
        const run = putChain.then(async () => {
          const current = await etagOf(url);
          const ok =
            (ifNone === undefined || (ifNone === "*" ? current === null : ifNone.replace(/"/g, "") !== current)) &&
            (ifMatch === undefined || (current !== null && ifMatch.replace(/"/g, "") === current));
          if (!ok) {
            res.writeHead(412, { "content-type": "application/xml" });
            res.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>PreconditionFailed</Code><Message>At least one of the pre-conditions you specified did not hold</Message></Error>');
            return;
          }
          await forward(req, body, res);
        });
        putChain = run.catch(() => undefined);
        return;
      }
      void forward(req, body, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    seen,
    hang(count, match = () => true) {
      hangs = { left: count, match };
    },
    async close() {
      for (const r of stalled) r.destroy();
      head.destroy();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}
