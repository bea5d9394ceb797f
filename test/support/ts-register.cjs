// Lets a child `node` process run the service straight from its TypeScript sources
// (test/support/service-child.ts): each file is transpiled on load, as ts-jest does with
// isolatedModules, so a test can kill -9 a real service process without a build.
const fs = require('node:fs');
const path = require('node:path');
const ts = require('typescript');

const root = path.resolve(__dirname, '../..');
const raw = ts.readConfigFile(path.join(root, 'tsconfig.json'), ts.sys.readFile).config.compilerOptions;
const { options } = ts.convertCompilerOptionsFromJson(raw, root);
const compilerOptions = { ...options, isolatedModules: true, sourceMap: false, inlineSourceMap: true, incremental: false };

require.extensions['.ts'] = (module, filename) => {
  const source = fs.readFileSync(filename, 'utf8');
  const { outputText } = ts.transpileModule(source, { compilerOptions, fileName: filename });
  module._compile(outputText, filename);
};
