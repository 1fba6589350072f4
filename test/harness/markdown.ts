import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";

/**
 * Just enough Markdown to check the project's docs: headings and their GitHub anchors, links and tables, with fenced
 * code blocks and code spans left out (a `[x](y)` inside code is not a link).
 */

export interface MarkdownFile {
  /** Path from the repository root, with forward slashes. */
  path: string;
  text: string;
}

export interface MarkdownLink {
  target: string;
  line: number;
}

const FENCE = /^ {0,3}(?:[-*+] +|\d+\. +)?\s*(`{3,}|~{3,})/;

/** The text with every line inside a fenced code block blanked, so line numbers stay as they are. */
export function withoutCodeBlocks(text: string): string {
  let fence: string | undefined;
  return text
    .split("\n")
    .map((line) => {
      const marker = FENCE.exec(line)?.[1];
      if (fence === undefined) {
        if (marker === undefined) return line;
        fence = marker;
        return "";
      }
      if (marker !== undefined && marker[0] === fence[0] && marker.length >= fence.length) fence = undefined;
      return "";
    })
    .join("\n");
}

/** Code spans replaced by their line breaks only: what is inside code is neither a link nor markup. */
function withoutCodeSpans(text: string): string {
  return text.replace(/(`+)[\s\S]*?\1/g, (span) => span.replace(/[^\n]/g, ""));
}

/** GitHub's anchor for a heading's text: lower case, punctuation dropped, spaces to hyphens. */
export function slugOf(heading: string): string {
  const text = heading
    .replace(/`+([^`]*)`+/g, "$1")
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/\*/g, "");
  return text
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, "")
    .replace(/ /g, "-");
}

/** Every anchor the file's headings make, a repeated one numbered as GitHub does (`-1`, `-2`). */
export function anchorsOf(text: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of withoutCodeBlocks(text).split("\n")) {
    const heading = /^ {0,3}#{1,6}\s+(.*?)(?:\s+#+\s*)?$/.exec(line);
    if (!heading) continue;
    const slug = slugOf(heading[1]);
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}

/** Inline links and images (`[text](target)`, `![alt](target)`) and reference definitions (`[label]: target`). */
export function linksOf(text: string): MarkdownLink[] {
  const prose = withoutCodeSpans(withoutCodeBlocks(text));
  const lineAt = (offset: number) => prose.slice(0, offset).split("\n").length;
  const links: MarkdownLink[] = [];
  for (const match of prose.matchAll(/\]\(\s*<?([^)\s>]*)>?(?:\s+"[^"]*")?\s*\)/g)) {
    links.push({ target: match[1], line: lineAt(match.index) });
  }
  for (const match of prose.matchAll(/^ {0,3}\[[^\]\n]+\]:\s*<?([^\s>]+)>?/gm)) {
    links.push({ target: match[1], line: lineAt(match.index) });
  }
  return links;
}

/**
 * One line per link that points nowhere: a file that does not exist, a file outside the repository, or an `#anchor`
 * that no heading of the target Markdown file makes. Links with a scheme (`https:`, `mailto:`) are not followed.
 */
export function brokenLinks(files: readonly MarkdownFile[], exists: (repoPath: string) => boolean): string[] {
  const anchors = new Map(files.map((file) => [file.path, anchorsOf(file.text)]));
  const problems: string[] = [];
  for (const file of files) {
    for (const { target, line } of linksOf(file.text)) {
      const where = `${file.path}:${line}: (${target})`;
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue;
      if (target === "") {
        problems.push(`${where} is empty`);
        continue;
      }
      const [filePart, anchor] = splitOnce(decodeURIComponent(target), "#");
      const resolved =
        filePart === ""
          ? file.path
          : path.posix.normalize(path.posix.join(path.posix.dirname(file.path), filePart)).replace(/\/$/, "");
      if (resolved === ".." || resolved.startsWith("../")) {
        problems.push(`${where} leaves the repository`);
        continue;
      }
      if (!anchors.has(resolved) && !exists(resolved)) {
        problems.push(`${where}: no file ${resolved}`);
        continue;
      }
      if (anchor === undefined) continue;
      const targetAnchors = anchors.get(resolved);
      if (targetAnchors === undefined)
        problems.push(`${where}: an anchor into ${resolved}, which is not Markdown here`);
      else if (!targetAnchors.has(anchor)) problems.push(`${where}: ${resolved} has no heading #${anchor}`);
    }
  }
  return problems;
}

function splitOnce(text: string, separator: string): [string, string | undefined] {
  const at = text.indexOf(separator);
  return at < 0 ? [text, undefined] : [text.slice(0, at), text.slice(at + 1)];
}

/** Each row of each table (a line starting with `|`, outside code blocks) wider than `maxWidth` characters. */
export function wideTableRows(file: MarkdownFile, maxWidth: number): string[] {
  return withoutCodeBlocks(file.text)
    .split("\n")
    .flatMap((line, index) =>
      /^ {0,3}\|/.test(line) && [...line].length > maxWidth
        ? [`${file.path}:${index + 1}: a table row ${[...line].length} characters wide`]
        : [],
    );
}

/** The repository's Markdown files: tracked, or new and not ignored by git. */
export function repositoryMarkdown(root: string): MarkdownFile[] {
  const listed = execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard", "--", "*.md"], {
    cwd: root,
    encoding: "utf8",
  });
  return [...new Set(listed.split("\n").filter(Boolean))]
    .filter((file) => existsSync(path.join(root, file)))
    .map((file) => ({ path: file, text: readFileSync(path.join(root, file), "utf8") }));
}
