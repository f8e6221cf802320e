// Writes the .d.ts files of the published packages (engine, widget) into <pkg>/dist/types.
// TypeScript 7 has no JS API, so rollup cannot emit declarations; the tsc CLI does it here.
import { spawnSync } from 'node:child_process';
import { writeFileSync, rmSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const tsc = join(root, 'node_modules', '.bin', 'tsc');

for (const pkg of ['engine', 'widget']) {
  const pkgDir = join(root, 'packages', pkg);
  const outDir = join(pkgDir, 'dist', 'types');
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(join(root, '.cache'), { recursive: true });
  const config = join(root, '.cache', `tsconfig.types.${pkg}.json`);
  writeFileSync(
    config,
    JSON.stringify({
      extends: join(root, 'tsconfig.types.json'),
      compilerOptions: { rootDir: join(pkgDir, 'src'), outDir },
      include: [join(pkgDir, 'src', '**', '*.ts')],
      exclude: [join(pkgDir, 'src', 'cli', '**')],
    }),
  );
  const result = spawnSync(tsc, ['-p', config], { stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`build-types: declaration build of ${pkg} failed`);
    process.exit(result.status ?? 1);
  }
}
