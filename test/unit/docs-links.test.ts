import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The README is the front door and the guides live in docs/: every guide is linked from the
 * README, and every relative link (and image) in the README, the guides and the changelog leads
 * to a file that exists and, with a `#fragment`, to a heading it has (GitHub's slugs).
 */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const guides = readdirSync(join(ROOT, 'docs'))
  .filter((f) => f.endsWith('.md'))
  .map((f) => join('docs', f));
const pages = ['README.md', 'CHANGELOG.md', ...guides];

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

function anchorsOf(file: string): Set<string> {
  const text = readFileSync(join(ROOT, file), 'utf8').replace(/```[\s\S]*?```/g, '');
  return new Set([...text.matchAll(/^#{1,6}\s+(.+)$/gm)].map((m) => slug(m[1]!)));
}

/** Relative links and image sources, outside code blocks and code spans. */
function linksOf(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8')
    .replace(/```[\s\S]*?```/g, '')
    .replace(/`[^`\n]*`/g, '');
  const targets = [...text.matchAll(/\]\(([^)\s]+)\)/g), ...text.matchAll(/<img[^>]*\ssrc="([^"]+)"/g)].map(
    (m) => m[1]!,
  );
  return targets.filter((t) => !/^[a-z]+:/i.test(t));
}

describe('the docs', () => {
  it('are each linked from the README', () => {
    const linked = new Set(linksOf('README.md').map((l) => l.split('#')[0]));
    expect(guides.filter((g) => !linked.has(g))).toEqual([]);
  });

  it('have no relative link or image that leads nowhere', () => {
    const broken: string[] = [];
    for (const page of pages)
      for (const link of linksOf(page)) {
        const [path, fragment] = link.split('#') as [string, string | undefined];
        const target = path === '' ? page : relative(ROOT, resolve(ROOT, dirname(page), path));
        if (!existsSync(join(ROOT, target))) broken.push(`${page}: ${link} (no file ${target})`);
        else if (fragment !== undefined && target.endsWith('.md') && !anchorsOf(target).has(fragment))
          broken.push(`${page}: ${link} (no heading #${fragment} in ${target})`);
      }
    expect(broken).toEqual([]);
  });

  it('reads links as a reader would (a check of the checker)', () => {
    expect(slug('Unit tests, without a port')).toBe('unit-tests-without-a-port');
    expect(slug('Test helpers (`pulse-mock/testing`)')).toBe('test-helpers-pulse-mocktesting');
    expect(linksOf('README.md')).toContain('docs/api.md');
  });
});
