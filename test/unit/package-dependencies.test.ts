import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';

const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  engines: { node: string };
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? sourceFiles(join(dir, entry.name))
      : /\.(ts|js)$/.test(entry.name)
        ? [join(dir, entry.name)]
        : [],
  );
}

/** `@scope/name/sub` and `name/sub` to the package that provides them. */
function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] as string);
}

function importsOf(kind: 'static' | 'dynamic'): Set<string> {
  const pattern =
    kind === 'static' ? /^\s*(?:import|export)\s[^;]*?from\s+'([^'.][^']*)'/gm : /import\('([^'.][^']*)'\)/g;
  const found = new Set<string>();
  for (const file of sourceFiles('src')) {
    if (file.startsWith(join('src', 'playground', 'page'))) continue; // served to the browser, not run by Node
    for (const match of readFileSync(file, 'utf8').matchAll(pattern)) {
      const specifier = match[1] as string;
      if (!specifier.startsWith('node:') && !specifier.startsWith('/')) found.add(packageOf(specifier));
    }
  }
  return found;
}

it('declares as dependencies exactly the packages the product imports', () => {
  const imported = importsOf('static');
  const declared = Object.keys(pkg.dependencies);
  expect([...imported].filter((name) => !declared.includes(name)).sort()).toEqual([]);
  expect(declared.filter((name) => !imported.has(name)).sort()).toEqual([]);
});

it('loads only declared packages on demand (development ones only where it runs from the sources)', () => {
  const declared = [...Object.keys(pkg.dependencies), ...Object.keys(pkg.devDependencies)];
  expect([...importsOf('dynamic')].filter((name) => !declared.includes(name)).sort()).toEqual([]);
});

it('supports Node.js 22 and later, the versions CI tests', () => {
  expect(pkg.engines.node).toBe('>=22');
});
