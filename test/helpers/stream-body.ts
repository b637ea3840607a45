/** Streams a large request body without holding it in memory: one 1 MB chunk written again and again. */
import http from "node:http";

export interface StreamOutcome {
  /** HTTP status of the answer, if one came before the connection closed. */
  status?: number;
  /** Bytes written before the server answered or closed the connection. */
  sent: number;
}

export function streamBody(
  url: string,
  totalBytes: number,
  options: { headers?: Record<string, string>; contentLength?: boolean } = {},
): Promise<StreamOutcome> {
  return new Promise((resolve) => {
    const headers: Record<string, string> = { "content-type": "application/json", ...options.headers };
    if (options.contentLength) headers["content-length"] = String(totalBytes);
    else headers["transfer-encoding"] = "chunked";
    const req = http.request(url, { method: "POST", headers });
    const chunk = Buffer.alloc(1 << 20, 0x61);
    let sent = 0;
    let status: number | undefined;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      req.destroy();
      resolve({ status, sent });
    };
    req.on("response", (res) => {
      status = res.statusCode;
      res.resume();
      res.on("end", finish);
      res.on("error", finish);
    });
    req.on("error", finish);
    req.on("close", finish);
    const pump = () => {
      while (sent < totalBytes && status === undefined && !done) {
        sent += chunk.length;
        if (!req.write(chunk)) {
          req.once("drain", pump);
          return;
        }
      }
      if (sent >= totalBytes && !done) req.end();
    };
    pump();
  });
}
