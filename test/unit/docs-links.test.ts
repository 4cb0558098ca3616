import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** The user's guide: the README, the pages beside it and everything under docs/. */
function guidePages(): string[] {
  const docs = join(root, 'docs');
  const pages = ['README.md', 'CONTRIBUTING.md', 'CHANGELOG.md'].map((name) => join(root, name)).filter((path) => existsSync(path));
  if (existsSync(docs))
    pages.push(
      ...readdirSync(docs)
        .filter((name) => name.endsWith('.md'))
        .map((name) => join(docs, name)),
    );
  return pages;
}

/** Markdown without its fenced code blocks and inline code, where brackets and hashes are not links or headings. */
function prose(markdown: string): string[] {
  const lines: string[] = [];
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) {
      fenced = !fenced;
      continue;
    }
    if (!fenced) lines.push(line.replace(/`[^`]*`/g, (code) => (code.includes('](') ? '' : code)));
  }
  return lines;
}

/** The anchors GitHub gives a page's headings: lowercased, punctuation dropped, spaces as dashes, repeats numbered. */
function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of prose(markdown)) {
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!heading) continue;
    const slug = heading[1]!
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}

/** Every relative link of a page: [text](target) outside code, external and mail links left out. */
function relativeLinks(markdown: string): string[] {
  const links: string[] = [];
  for (const line of prose(markdown)) {
    for (const match of line.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
      const target = match[1]!;
      if (!/^[a-z][a-z0-9+.-]*:/i.test(target)) links.push(target);
    }
  }
  return links;
}

/** Problems with one page's relative links: a missing file, or an anchor its target page lacks. */
function brokenLinks(page: string): string[] {
  const problems: string[] = [];
  const name = relative(root, page);
  for (const link of relativeLinks(readFileSync(page, 'utf8'))) {
    const [path, anchor] = link.split('#', 2) as [string, string | undefined];
    const target = path === '' ? page : resolve(dirname(page), decodeURIComponent(path));
    if (!existsSync(target)) {
      problems.push(`${name}: ${link}: no such file`);
      continue;
    }
    if (anchor === undefined || anchor === '') continue;
    if (statSync(target).isDirectory() || !target.endsWith('.md')) {
      problems.push(`${name}: ${link}: an anchor into a file that is not Markdown`);
      continue;
    }
    if (!headingAnchors(readFileSync(target, 'utf8')).has(anchor)) problems.push(`${name}: ${link}: no heading with that anchor`);
  }
  return problems;
}

describe('the user guide links', () => {
  it('slugs headings as GitHub does', () => {
    // Prepare
    const markdown = [
      '# What `npm start` does',
      '## Attribution and "won back"',
      '## `npm run bench:dynamo`',
      '## Sequences',
      '## Sequences',
      '```',
      '# not a heading',
      '```',
    ].join('\n');
    // Act
    const anchors = headingAnchors(markdown);
    // Assess
    expect([...anchors]).toEqual(['what-npm-start-does', 'attribution-and-won-back', 'npm-run-benchdynamo', 'sequences', 'sequences-1']);
  });

  it('finds relative links outside code and leaves out web and mail links', () => {
    // Prepare
    const markdown = [
      'See [the docs](docs/cli.md#exit-codes), [us](https://example.org) and [mail](mailto:a@example.org).',
      '`[not](a-link.md)`',
      '```',
      '[nor](this.md)',
      '```',
      '[top](#top)',
    ].join('\n');
    // Act
    const links = relativeLinks(markdown);
    // Assess
    expect(links).toEqual(['docs/cli.md#exit-codes', '#top']);
  });

  it('resolves every relative link and anchor of the README, CONTRIBUTING, CHANGELOG and docs/', () => {
    // Prepare
    const pages = guidePages();
    // Act
    const problems = pages.flatMap(brokenLinks);
    // Assess
    expect(pages.length).toBeGreaterThan(1);
    expect(problems).toEqual([]);
  });
});
