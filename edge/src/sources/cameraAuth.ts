import { createHash, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";

export interface Credentials {
  user: string;
  password: string;
}

/** `user:password` from the first line of a file (the password may itself contain colons). */
export function readCredentials(file: string): Credentials {
  const line = readFileSync(file, "utf8").split(/\r?\n/)[0] ?? "";
  const colon = line.indexOf(":");
  if (colon <= 0) throw new Error(`${file} must hold user:password on its first line`);
  return { user: line.slice(0, colon), password: line.slice(colon + 1) };
}

export function basicAuthorization({ user, password }: Credentials): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
}

/** The parameters of a `WWW-Authenticate: Digest …` challenge; undefined for any other scheme. */
export function digestChallenge(header: string | null): Record<string, string> | undefined {
  if (!header || !/^digest\s/i.test(header)) return undefined;
  const params: Record<string, string> = {};
  for (const match of header.slice(7).matchAll(/([a-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))/gi)) {
    params[match[1].toLowerCase()] = match[2] ?? match[3];
  }
  return params.nonce && params.realm !== undefined ? params : undefined;
}

/**
 * HTTP digest authentication (RFC 7616): MD5 or SHA-256, with qop=auth or without qop (RFC 2069 cameras). `count`
 * is the request's nonce count for this nonce, from 1.
 */
export function digestAuthorization(
  { user, password }: Credentials,
  challenge: Record<string, string>,
  method: string,
  uri: string,
  count: number,
): string {
  const algorithm = (challenge.algorithm ?? "MD5").toUpperCase();
  const hashName = algorithm.startsWith("SHA-256") ? "sha256" : "md5";
  const hash = (text: string) => createHash(hashName).update(text).digest("hex");
  const { realm, nonce, opaque } = challenge;
  const qop = challenge.qop
    ?.split(",")
    .map((q) => q.trim())
    .includes("auth")
    ? "auth"
    : undefined;
  const cnonce = randomBytes(8).toString("hex");
  const nc = count.toString(16).padStart(8, "0");
  let ha1 = hash(`${user}:${realm}:${password}`);
  if (algorithm.endsWith("-SESS")) ha1 = hash(`${ha1}:${nonce}:${cnonce}`);
  const ha2 = hash(`${method}:${uri}`);
  const response = qop ? hash(`${ha1}:${nonce}:${nc}:${cnonce}:${qop}:${ha2}`) : hash(`${ha1}:${nonce}:${ha2}`);
  const fields = [
    `username="${user}"`,
    `realm="${realm}"`,
    `nonce="${nonce}"`,
    `uri="${uri}"`,
    `algorithm=${challenge.algorithm ?? "MD5"}`,
    `response="${response}"`,
    ...(qop ? [`qop=${qop}`, `nc=${nc}`, `cnonce="${cnonce}"`] : []),
    ...(opaque !== undefined ? [`opaque="${opaque}"`] : []),
  ];
  return `Digest ${fields.join(", ")}`;
}
