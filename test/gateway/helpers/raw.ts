import { request } from 'node:http';

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** node:http request with raw header lines (fetch would merge repeated fields into one). */
export function rawRequest(url: string, method: string, headerLines: [string, string][], body?: string): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    // with raw header lines node:http adds no Host of its own
    const lines: [string, string][] = [['host', new URL(url).host], ...headerLines];
    const req = request(url, { method, headers: lines.flat() }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}
